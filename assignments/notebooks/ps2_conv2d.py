# Source of assignments/source/ps2_conv2d/ps2_conv2d.ipynb (see assignments/build_notebooks.py).

# %% [markdown]
# # Tarea 2 · Capas convolucionales, relleno y paso
#
# En la tarea 1 programaste `corr2d`. Ahora vas a:
#
# - convertirla en una **capa** de PyTorch con parámetros que se aprenden (`Conv2D`);
# - predecir el tamaño de la salida de una convolución con **relleno** (*padding*) y
#   **paso** (*stride*);
# - programar la correlación cruzada con relleno y paso, y compararla con la de PyTorch.
#
# Completa las celdas que dicen `# TU CÓDIGO AQUÍ` (borra el `raise NotImplementedError()`),
# sin cambiar nombres ni argumentos. Las celdas con `assert` son pruebas visibles; las de
# calificación quedan vacías y se evalúan al entregar. Antes de entregar:
# *Kernel → Restart & Run All*.
#
# En `corr2d_pad_stride` (*impleméntala tú*) no uses las convoluciones de PyTorch
# (`F.conv2d`, `nn.Conv2d`); `F.pad` para el relleno sí está permitido.
# El corrector lo revisa leyendo tu código con una **lista de lo permitido**, la misma que trae el
# kit (`cursocnn/allowlist.py`): bucles, rebanadas, tus propias funciones y clases, y las funciones
# de torch y numpy para crear tensores, cambiar su forma, operar, reducir (`sum`, `max`, `mean`),
# `matmul`/`einsum`, `Tensor.unfold` y `F.pad`. Lo que no está en la lista (por ejemplo `getattr`
# con un nombre armado en el momento, `eval`/`exec` o módulos fuera de torch, numpy y la biblioteca
# estándar habitual) no se puede verificar: esa función vale 0 y tu entrega queda marcada para
# revisión. `check()` te avisa antes de entregar. Lo que pongas dentro de
# `if __name__ == "__main__":` no se revisa ni se ejecuta al calificar.

# %% setup
import torch
from torch import nn
import torch.nn.functional as F

# %% [markdown]
# **Autoevaluación.** Cuando termines una función, puedes correr sus pruebas públicas con
# `check("nombre_de_la_función")` (o `check()` para todas). Desde una terminal, en la carpeta de
# la tarea: `python -m cursocnn.selfcheck`. La nota final la dan pruebas ocultas más completas.
# Cuando una prueba falla por un error típico (el kernel volteado, la salida traspuesta, un tamaño
# desfasado en uno, ...), su mensaje termina con **Posible causa: ...**, la misma pista que te
# daría la devolución del corrector.

# %%
from cursocnn.selfcheck import check
from cursocnn.hints import posible_causa  # las pruebas de abajo la usan para nombrar la causa probable de un error

# %% [markdown]
# La función `corr2d` de la tarea 1 ya viene resuelta (celda bloqueada):

# %% given corr2d

# %%
# Herramientas del curso para las demostraciones.
import os
from cursocnn.plots import show_images, show_feature_maps, show_matrix, plot_losses

QUICK = os.environ.get("CNN_QUICK") == "1"  # modo rápido, para las pruebas automáticas

# %% [markdown]
# ## 1. Una capa convolucional
#
# Una capa convolucional hace una correlación cruzada entre su entrada y un kernel, y le suma un
# **sesgo** escalar. Sus dos parámetros, el kernel y el sesgo, son los que se aprenden durante el
# entrenamiento. Como en cualquier capa, el kernel empieza con valores al azar.
#
# En PyTorch, una capa propia es una subclase de `nn.Module`: en `__init__` se crean los
# parámetros y en `forward` se calcula la salida. Para que PyTorch sepa que un tensor es un
# parámetro (y le calcule gradientes, y `model.parameters()` lo devuelva), hay que envolverlo en
# `nn.Parameter` y guardarlo como atributo del módulo.
#
# ### Ejercicio 1 · `Conv2D(kernel_size)` (8 puntos)
#
# - `self.weight`: parámetro de forma `kernel_size` con valores aleatorios (por ejemplo,
#   `torch.rand`);
# - `self.bias`: parámetro de forma `(1,)` que empieza en cero;
# - `forward(x)`: `corr2d(x, self.weight) + self.bias`, para una `x` de 2-D.

# %% solution Conv2D

# %% visible Conv2D
capa = Conv2D((1, 2))
nombres = dict(capa.named_parameters())
assert set(nombres) == {"weight", "bias"}, \
    f"Los parámetros registrados deberían ser 'weight' y 'bias'; hay {sorted(nombres)}. ¿Usaste nn.Parameter?" \
    + posible_causa("Conv2D", capa)
assert tuple(capa.weight.shape) == (1, 2), f"weight debería tener la forma (1, 2), no {tuple(capa.weight.shape)}"
assert tuple(capa.bias.shape) == (1,), f"bias debería tener la forma (1,), no {tuple(capa.bias.shape)}"
assert float(capa.bias.detach()) == 0.0, "bias debería empezar en cero" + posible_causa("Conv2D", capa)
assert tuple(Conv2D((3, 2)).weight.shape) == (3, 2), "weight debería seguir a kernel_size"
X = torch.ones((6, 8))
X[:, 2:6] = 0
with torch.no_grad():
    capa.weight.copy_(torch.tensor([[1.0, -1.0]]))
    capa.bias.fill_(0.5)
Y = capa(X)
esperado = torch.full((6, 7), 0.5)
esperado[:, 1], esperado[:, 5] = 1.5, -0.5
assert torch.allclose(Y.double(), esperado.double()), \
    "Con weight = [[1, -1]] y bias = 0.5 la salida debería ser corr2d(X, weight) + 0.5" \
    + posible_causa("Conv2D", Y, capa=capa, x=X)
Y.sum().backward()
assert capa.weight.grad is not None and capa.bias.grad is not None, \
    "El gradiente debería llegar a weight y a bias"
assert float(capa.bias.grad) == 42.0, "El gradiente de bias es la cantidad de salidas (6×7 = 42)"
print("¡Bien! Conv2D pasa las pruebas visibles.")

# %% grade Conv2D

# %% [markdown]
# Con tu capa podemos repetir el experimento de la tarea 1 —aprender el detector de bordes—
# ahora con sesgo y usando `capa.parameters()`. La pérdida debería caer a casi cero.

# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
torch.manual_seed(0)
capa = Conv2D((1, 2))
lr, losses = 3e-2, []
for i in range(10 if QUICK else 30):
    loss = ((capa(X) - Y) ** 2).sum()
    capa.zero_grad()
    loss.backward()
    with torch.no_grad():
        for p in capa.parameters():
            p -= lr * p.grad
    losses.append(loss.item())
print("kernel aprendido:", [round(v, 3) for v in capa.weight.flatten().tolist()],
      "| sesgo:", round(capa.bias.item(), 3))
plot_losses(losses, title="Entrenando Conv2D sobre el detector de bordes", logy=True)

# %% [markdown]
# ## 2. Relleno y paso
#
# Cada correlación achica la imagen: con un kernel de 3×3, una imagen de 8×8 queda en 6×6, y
# tras varias capas los bordes se pierden. Dos herramientas controlan el tamaño de la salida:
#
# - **Relleno** (*padding*): agregar $p$ filas/columnas de ceros a **cada lado** de la entrada.
#   Con $p = (k - 1)/2$ y kernel impar la salida mide lo mismo que la entrada; por eso los
#   kernels impares (3, 5, 7) son tan comunes.
# - **Paso** (*stride*): mover la ventana de a $s$ lugares en vez de 1. Con $s = 2$ la salida
#   tiene la mitad de alto y de ancho, aproximadamente.
#
# Con entrada $n$, kernel $k$, relleno $p$ por lado y paso $s$, en cada eje:
#
# $$n_\text{salida} = \left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1.$$
#
# **Ojo: hay dos maneras de contar el relleno.** El libro en el que se basa el curso (d2l)
# escribe la fórmula sin paso con el relleno **total**: si se agregan $p_h$ filas en total
# (sumando las de arriba y las de abajo) y $p_w$ columnas en total, la salida mide
#
# $$(n_h - k_h + p_h + 1) \times (n_w - k_w + p_w + 1).$$
#
# PyTorch (`nn.Conv2d`, `F.conv2d`) y la función que vas a escribir cuentan el relleno **por
# lado**: `padding=1` agrega una fila arriba **y** otra abajo, o sea $p_h = 2$ en total. Es la
# misma cuenta con otro nombre: con paso 1, $n - k + p_h + 1$ con $p_h = 2p$ da
# $n + 2p - k + 1$. Para que la salida mida lo mismo que la entrada hace falta
# $p_h = k_h - 1$ filas **en total**; con un kernel impar se reparten por igual, $(k_h - 1)/2$
# arriba y otras tantas abajo.
#
# Algunos casos con `nn.Conv2d` sobre una entrada de 8×8:
#
# | kernel | relleno | paso | salida |
# |---|---|---|---|
# | 3 | 1 | 1 | 8×8 |
# | (7, 5) | (3, 2) | 1 | 8×8 |
# | 3 | 1 | 2 | 4×4 |
# | (3, 5) | (0, 1) | (3, 4) | 2×2 |
#
# ### Ejercicio 2 · `conv_output_shape(input_size, kernel_size, padding=0, stride=1)` (4 puntos)
#
# Cada argumento puede ser un entero (mismo valor en alto y ancho) o un par `(alto, ancho)`.
# Devuelve una tupla de dos enteros `(alto, ancho)`.

# %% solution conv_output_shape

# %% visible conv_output_shape
casos = [
    dict(kernel_size=3, padding=1),
    dict(kernel_size=(7, 5), padding=(3, 2)),
    dict(kernel_size=3, padding=1, stride=2),
    dict(kernel_size=(3, 5), padding=(0, 1), stride=(3, 4)),
]
esperados = [(8, 8), (8, 8), (4, 4), (2, 2)]
for caso, esperado in zip(casos, esperados):
    obtenido = conv_output_shape(8, **caso)
    assert tuple(obtenido) == esperado, f"Entrada 8×8 con {caso}: se esperaba {esperado} y se obtuvo {obtenido}" \
        + posible_causa("conv_output_shape", obtenido, input_size=8, **caso)
    assert all(type(v) is int for v in obtenido), f"Devuelve enteros de Python, no {obtenido!r}"
assert tuple(conv_output_shape((6, 8), (1, 2))) == (6, 7), "Sin relleno ni paso: (6-1+1, 8-2+1) = (6, 7)"
assert tuple(conv_output_shape(28, 5, padding=2)) == (28, 28), "La primera capa de LeNet conserva 28×28"
print("¡Bien! conv_output_shape pasa las pruebas visibles.")

# %% grade conv_output_shape

# %% [markdown]
# Comprobemos tu fórmula contra `nn.Conv2d` en muchos casos al azar: la capa de PyTorch es el
# árbitro.

# %%
torch.manual_seed(1)
coinciden = 0
for _ in range(50 if QUICK else 300):
    n = tuple(torch.randint(5, 20, (2,)).tolist())
    k = tuple(torch.randint(1, 6, (2,)).tolist())
    p = tuple(torch.randint(0, 3, (2,)).tolist())
    s = tuple(torch.randint(1, 4, (2,)).tolist())
    real = tuple(nn.Conv2d(1, 1, k, padding=p, stride=s)(torch.zeros(1, 1, *n)).shape[2:])
    if tuple(conv_output_shape(n, k, p, s)) == real:
        coinciden += 1
    else:
        print(f"distinto: entrada {n}, kernel {k}, relleno {p}, paso {s} -> PyTorch {real}")
print(f"{coinciden} casos coinciden con nn.Conv2d")

# %% [markdown]
# ### Kernels pares: relleno asimétrico
#
# Con un kernel **par** (2x2, 4x4) el relleno total que conserva el tamaño, $p_h = k_h - 1$, es
# **impar**: no se puede repartir por igual. Un kernel de 4x4 necesita 3 filas de relleno, por
# ejemplo 1 arriba y 2 abajo. El argumento `padding` de `nn.Conv2d` pone lo mismo a cada lado,
# así que con él no se puede: `padding=1` da 7x7 y `padding=2` da 9x9 sobre una entrada de 8x8.
#
# La solución es rellenar a mano con `F.pad` y después convolucionar sin relleno. `F.pad` recibe
# los ceros de cada borde empezando por la última dimensión: `(izquierda, derecha, arriba,
# abajo)`.

# %%
import warnings

X = torch.rand(1, 1, 8, 8)
for k in (2, 4):
    K = torch.rand(1, 1, k, k)
    total = k - 1                       # relleno total que conserva el tamaño: p_h = k_h - 1
    top, bottom = total // 2, total - total // 2
    left, right = top, bottom
    padded = F.pad(X, (left, right, top, bottom))
    Y = F.conv2d(padded, K)
    print(f"kernel {k}x{k}: relleno total {total} = {top} arriba + {bottom} abajo; "
          f"entrada {tuple(X.shape[2:])} -> rellena {tuple(padded.shape[2:])} -> salida {tuple(Y.shape[2:])}")
    assert Y.shape[2:] == X.shape[2:], "con p_h = k_h - 1 en total la salida conserva el tamaño"
    for p in (total // 2, total // 2 + 1):
        print(f"   con padding={p} a cada lado, nn.Conv2d da {tuple(nn.Conv2d(1, 1, k, padding=p)(X).shape[2:])}")
    with warnings.catch_warnings():     # PyTorch avisa que para esto copia la entrada rellena
        warnings.simplefilter("ignore")
        same = F.conv2d(X, K, padding="same")
    print("   igual a padding='same' de PyTorch (que pone el relleno de más abajo y a la derecha):",
          torch.allclose(Y, same))

# %% [markdown]
# ### ¿Cuántas veces se usa cada píxel?
#
# Sin relleno, la ventana del kernel pasa muchas veces por el centro de la imagen pero pocas por
# los bordes: el píxel de una esquina entra en **una sola** ventana, mientras que uno del centro
# entra hasta en $k \times k$ (si la imagen es bastante más grande que el kernel). Por eso, sin
# relleno, la información de los bordes pesa menos (y se pierde al apilar capas). Contemos,
# para cada píxel de una imagen de 8x8, en cuántas ventanas entra:

# %%
def pixel_usage(n, k, padding=0):
    """Cuántas veces entra cada píxel de una imagen n x n en las ventanas de un kernel k x k."""
    m = n + 2 * padding
    uses = torch.zeros(m, m)
    for top in range(m - k + 1):
        for left in range(m - k + 1):
            uses[top:top + k, left:left + k] += 1
    return uses[padding:padding + n, padding:padding + n]   # solo los píxeles de la imagen


import matplotlib.pyplot as plt

casos_uso = [(3, 0), (5, 0), (3, 1)]
fig, axes = plt.subplots(1, len(casos_uso), figsize=(12, 4.2))
for ax, (k, p) in zip(axes, casos_uso):
    uses = pixel_usage(8, k, p)
    show_matrix(uses, f"kernel {k}x{k}, relleno {p}", cmap="viridis", vmin=0, vmax=16, ax=ax)
fig.suptitle("Veces que se usa cada píxel de una imagen de 8x8")
plt.tight_layout()
plt.show()
for k, p in casos_uso:
    uses = pixel_usage(8, k, p)
    esquina, centro = int(uses[0, 0]), int(uses[4, 4])
    print(f"kernel {k}x{k}, relleno {p}: la esquina entra en {esquina} ventana(s), el centro en {centro}")

# %% [markdown]
# Con relleno 1 los bordes ganan uso (la esquina pasa de 1 a 4 ventanas) aunque siguen por
# debajo del centro: el relleno no hace que todos los píxeles pesen igual, pero evita que la
# imagen se achique y que el borde casi desaparezca.

# %% [markdown]
# ### Ejercicio 3 · `corr2d_pad_stride(X, K, padding=0, stride=1)` (8 puntos, impleméntala tú)
#
# Correlación cruzada de la matriz `X` con relleno de ceros (`padding` filas/columnas a cada
# lado) y paso `stride`; ambos pueden ser un entero o un par `(alto, ancho)`. El resultado debe
# ser igual a `F.conv2d(X[None, None], K[None, None], padding=padding, stride=stride)[0, 0]`
# (puedes usar esa línea para probar, pero no dentro de tu función).
#
# Pista: crea una matriz de ceros más grande, copia `X` en el centro, y recorre las ventanas
# empezando en las filas `0, s_h, 2 s_h, ...` y las columnas `0, s_w, 2 s_w, ...`.

# %% solution corr2d_pad_stride

# %% visible corr2d_pad_stride
torch.manual_seed(0)
X = torch.rand(8, 8)
for caso in casos:
    K = torch.rand(caso["kernel_size"]) if isinstance(caso["kernel_size"], tuple) else torch.rand(3, 3)
    kw = {k: v for k, v in caso.items() if k != "kernel_size"}
    Y = corr2d_pad_stride(X, K, **kw)
    Y_torch = F.conv2d(X[None, None], K[None, None], **kw)[0, 0]
    assert Y.shape == Y_torch.shape, f"Con {caso} la salida debería medir {tuple(Y_torch.shape)}, no {tuple(Y.shape)}" \
        + posible_causa("corr2d_pad_stride", Y, X=X, K=K, **kw)
    assert torch.allclose(Y.float(), Y_torch, atol=1e-5), f"Con {caso} los valores no coinciden con F.conv2d" \
        + posible_causa("corr2d_pad_stride", Y, X=X, K=K, **kw)
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
X = torch.arange(9.0).reshape(3, 3)
assert torch.allclose(corr2d_pad_stride(X, K).double(), torch.tensor([[19.0, 25.0], [37.0, 43.0]]).double()), \
    "Sin relleno ni paso debería dar lo mismo que corr2d: [[19, 25], [37, 43]]"
esperado = F.conv2d(X[None, None], K[None, None], padding=1, stride=2)[0, 0]
assert torch.allclose(corr2d_pad_stride(X, K, padding=1, stride=2).float(), esperado), \
    f"Con relleno 1 y paso 2 se esperaba {esperado.tolist()}"
print("¡Bien! corr2d_pad_stride pasa las pruebas visibles.")

# %% grade corr2d_pad_stride

# %% [markdown]
# Veamos el efecto en una prenda de Fashion-MNIST con el detector de bordes verticales: con
# relleno 1 la salida conserva 28×28; con paso 2 se reduce a 14×14 y pierde detalle.

# %%
from cursocnn.data import load_tensors

imagenes, _ = load_tensors(train=False)
img = imagenes[1, 0]
K = torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])
salidas = {
    "sin relleno": corr2d_pad_stride(img, K),
    "relleno 1": corr2d_pad_stride(img, K, padding=1),
    "relleno 1, paso 2": corr2d_pad_stride(img, K, padding=1, stride=2),
    "relleno 1, paso 3": corr2d_pad_stride(img, K, padding=1, stride=3),
}
show_images([img], ["entrada 28×28"], size=2.6)
show_feature_maps(list(salidas.values()),
                  [f"{nombre}: {tuple(y.shape)}" for nombre, y in salidas.items()], ncols=4)

# %% [markdown]
# ## 3. Ejercicios de formas (sin nota)
#
# Responde con un número en cada variable y ejecuta la celda siguiente: la comprobación prueba
# tu respuesta con una capa de PyTorch (no con tu función) y te dice si da la forma pedida, sin
# mostrarte la respuesta. Puede haber más de una respuesta correcta. (El pooling, que veremos
# en la tarea 4, recorre el mapa con una ventana sin pesos y sigue la misma fórmula que la
# convolución.)
#
# a. Una imagen de 15×15 y un kernel de 5×5, sin relleno: ¿con qué paso la salida mide 3×3?
#
# b. Una imagen de 7×7 y un kernel de 3×3, sin relleno: ¿con qué paso la salida mide 3×3?
#
# c. Con un kernel de 7×7, sin relleno y paso 1, ¿qué lado debe tener la imagen de entrada para
#    que la salida mida 100×100?
#
# d. Un pooling de 2×2 con paso 2 deja un mapa de 16×16. ¿Qué lado tenía el mapa de entrada?
#
# e. Un pooling de 2×2 sobre un mapa de 16×16 da 4×4. ¿Qué paso usa?

# %%
respuesta_a = None  # reemplaza None por tu respuesta
respuesta_b = None
respuesta_c = None
respuesta_d = None
respuesta_e = None

# %%
from cursocnn.practice import check_shape_answers

check_shape_answers(a=respuesta_a, b=respuesta_b, c=respuesta_c, d=respuesta_d, e=respuesta_e);
