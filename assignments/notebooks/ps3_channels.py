# Source of assignments/source/ps3_channels/ps3_channels.ipynb (see assignments/build_notebooks.py).

# %% [markdown]
# # Tarea 3 · Varios canales de entrada y de salida
#
# Hasta ahora cada imagen era una sola matriz. Pero una foto en color tiene tres **canales**
# (rojo, verde y azul), y la salida de una capa convolucional también tiene varios: un mapa de
# características por cada filtro. En esta tarea vas a:
#
# - correlacionar una entrada de varios canales con un kernel de varios canales;
# - producir varios canales de salida a la vez;
# - ver que una convolución de 1×1 es un producto de matrices.
#
# Completa las celdas que dicen `# TU CÓDIGO AQUÍ` (borra el `raise NotImplementedError()`),
# sin cambiar nombres ni argumentos. En las tres funciones no uses las convoluciones de PyTorch
# (`F.conv2d`, `nn.Conv2d`): usa tu `corr2d`, sumas, `torch.stack` y `torch.matmul`. Antes de
# entregar: *Kernel → Restart & Run All*.
#
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
import time
from cursocnn.plots import show_images, show_feature_maps, plot_losses

QUICK = os.environ.get("CNN_QUICK") == "1"  # modo rápido, para las pruebas automáticas

# %% [markdown]
# ## 1. Varios canales de entrada
#
# Si la entrada tiene $c_i$ canales, el kernel también necesita $c_i$ canales: su forma es
# $c_i \times k_h \times k_w$. Se correlaciona cada canal de la entrada con su "rebanada" del
# kernel, y los $c_i$ resultados se **suman**. La salida tiene un solo canal.
#
# Ejemplo con dos canales: la entrada son `[[0,1,2],[3,4,5],[6,7,8]]` y
# `[[1,2,3],[4,5,6],[7,8,9]]`, y el kernel `[[0,1],[2,3]]` y `[[1,2],[3,4]]`. El primer canal da
# `[[19, 25], [37, 43]]` (como en la tarea 1), el segundo `[[37, 47], [67, 77]]`, y la salida es
# la suma: `[[56, 72], [104, 120]]`.
#
# ### Ejercicio 1 · `corr2d_multi_in(X, K)` (6 puntos, impleméntala tú)
#
# `X` tiene forma $(c_i, h, w)$ y `K` forma $(c_i, k_h, k_w)$; devuelve una matriz de
# $(h - k_h + 1) \times (w - k_w + 1)$. Iterar sobre un tensor recorre su primera dimensión:
# `for x, k in zip(X, K)` te da los canales de a pares.

# %% solution corr2d_multi_in

# %% visible corr2d_multi_in
X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
K = torch.stack([torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])])
Y = corr2d_multi_in(X, K)
assert tuple(Y.shape) == (2, 2), \
    f"La salida debería medir 2×2 (un solo canal) y mide {tuple(Y.shape)}" + posible_causa("corr2d_multi_in", Y, X=X, K=K)
assert torch.allclose(Y.double(), torch.tensor([[56.0, 72.0], [104.0, 120.0]], dtype=torch.float64)), \
    f"Con el ejemplo del texto se esperaba [[56, 72], [104, 120]] y se obtuvo {Y.tolist()}" \
    + posible_causa("corr2d_multi_in", Y, X=X, K=K)
torch.manual_seed(0)
X, K = torch.rand(3, 5, 6), torch.rand(3, 2, 3)
assert torch.allclose(corr2d_multi_in(X, K).float(), F.conv2d(X[None], K[None])[0, 0], atol=1e-5), \
    "Con 3 canales al azar el resultado no coincide con F.conv2d"
assert torch.allclose(corr2d_multi_in(X[:1], K[:1]), corr2d(X[0], K[0])), \
    "Con un solo canal debería dar lo mismo que corr2d"
print("¡Bien! corr2d_multi_in pasa las pruebas visibles.")

# %% grade corr2d_multi_in

# %% [markdown]
# ## 2. Varios canales de salida
#
# Una sola suma de canales da un solo mapa de características. Para obtener $c_o$ mapas, usamos
# $c_o$ kernels distintos, cada uno de forma $c_i \times k_h \times k_w$, y los guardamos juntos
# en un tensor de $c_o \times c_i \times k_h \times k_w$. Cada canal de salida es el resultado de
# `corr2d_multi_in` con su kernel, y los resultados se apilan en la dimensión 0.
#
# Cada canal de salida puede especializarse en un patrón distinto (un borde, una textura, un
# color), y la capa siguiente combina esos patrones.
#
# ### Ejercicio 2 · `corr2d_multi_in_out(X, K)` (6 puntos, impleméntala tú)
#
# `X` de forma $(c_i, h, w)$ y `K` de forma $(c_o, c_i, k_h, k_w)$; devuelve
# $(c_o, h', w')$. Pista: `torch.stack([... for k in K], 0)`.

# %% solution corr2d_multi_in_out

# %% visible corr2d_multi_in_out
X = torch.stack([torch.arange(9.0).reshape(3, 3), torch.arange(1.0, 10.0).reshape(3, 3)])
K = torch.stack([torch.tensor([[0.0, 1.0], [2.0, 3.0]]), torch.tensor([[1.0, 2.0], [3.0, 4.0]])])
K3 = torch.stack((K, K + 1, K + 2), 0)
assert tuple(K3.shape) == (3, 2, 2, 2)
Y = corr2d_multi_in_out(X, K3)
assert tuple(Y.shape) == (3, 2, 2), \
    f"Con 3 kernels la salida debería medir 3×2×2 y mide {tuple(Y.shape)}" + posible_causa("corr2d_multi_in_out", Y, X=X, K=K3)
esperado = torch.tensor([[[56.0, 72.0], [104.0, 120.0]],
                         [[76.0, 100.0], [148.0, 172.0]],
                         [[96.0, 128.0], [192.0, 224.0]]], dtype=torch.float64)
for c in range(3):
    assert torch.allclose(Y[c].double(), esperado[c]), \
        f"El canal de salida {c} debería ser {esperado[c].tolist()} y es {Y[c].tolist()}" \
        + posible_causa("corr2d_multi_in_out", Y, X=X, K=K3)
torch.manual_seed(0)
X, K = torch.rand(3, 6, 5), torch.rand(4, 3, 2, 2)
assert torch.allclose(corr2d_multi_in_out(X, K).float(), F.conv2d(X[None], K)[0], atol=1e-5), \
    "Con 3 canales de entrada y 4 de salida al azar el resultado no coincide con F.conv2d"
print("¡Bien! corr2d_multi_in_out pasa las pruebas visibles.")

# %% grade corr2d_multi_in_out

# %% [markdown]
# Con varios canales de salida una sola capa calcula varios mapas de características a la vez.
# Aquí una prenda de Fashion-MNIST (un canal de entrada) pasa por cuatro filtros, que forman un
# kernel de forma $4 \times 1 \times 3 \times 3$.

# %%
from cursocnn.data import load_tensors

imagenes, _ = load_tensors(train=False)
img = imagenes[2]  # forma (1, 28, 28): un canal
filtros = torch.stack([
    torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    torch.tensor([[2.0, 1.0, 0.0], [1.0, 0.0, -1.0], [0.0, -1.0, -2.0]]),
    torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
])[:, None]  # (4, 1, 3, 3)
mapas = corr2d_multi_in_out(img, filtros)
print("entrada", tuple(img.shape), "| kernel", tuple(filtros.shape), "| salida", tuple(mapas.shape))
show_images(img, ["entrada"], size=2.6)
show_feature_maps(mapas, ["vertical", "horizontal", "diagonal", "laplaciano"], ncols=4)

# %% [markdown]
# ## 3. La convolución de 1×1
#
# Un kernel de 1×1 parece inútil: no mira vecinos. Pero con varios canales hace algo valioso:
# en cada píxel combina los $c_i$ valores de ese píxel en $c_o$ valores nuevos, siempre con los
# mismos pesos. Es una capa densa (totalmente conectada) aplicada a cada píxel por separado, y
# se usa para cambiar la cantidad de canales sin tocar el alto ni el ancho.
#
# Por eso puede calcularse con **un solo producto de matrices**: si `X` se reacomoda como una
# matriz de $c_i \times (h \cdot w)$ (una columna por píxel) y `K` como una de $c_o \times c_i$,
# el producto `K @ X` tiene forma $c_o \times (h \cdot w)$, que se reacomoda como
# $(c_o, h, w)$.
#
# ### Ejercicio 3 · `corr2d_multi_in_out_1x1(X, K)` (8 puntos, impleméntala tú)
#
# `X` de forma $(c_i, h, w)$ y `K` de forma $(c_o, c_i, 1, 1)$; devuelve $(c_o, h, w)$ usando
# `reshape` y un producto de matrices (`torch.matmul` o `@`), **sin recorrer los píxeles con
# bucles**.

# %% solution corr2d_multi_in_out_1x1

# %% visible corr2d_multi_in_out_1x1
torch.manual_seed(0)
X = torch.normal(0, 1, (3, 3, 3))
K = torch.normal(0, 1, (2, 3, 1, 1))
Y1 = corr2d_multi_in_out_1x1(X, K)
Y2 = corr2d_multi_in_out(X, K)
assert tuple(Y1.shape) == (2, 3, 3), \
    f"La salida debería medir 2×3×3 y mide {tuple(Y1.shape)}" + posible_causa("corr2d_multi_in_out_1x1", Y1, X=X, K=K)
assert torch.allclose(Y1.float(), Y2.float(), atol=1e-5), \
    "El resultado debería coincidir con corr2d_multi_in_out para un kernel de 1×1" \
    + posible_causa("corr2d_multi_in_out_1x1", Y1, X=X, K=K)
X = torch.rand(4, 5, 7)
K = torch.rand(6, 4, 1, 1)
X_antes = X.clone()
Y1 = corr2d_multi_in_out_1x1(X, K)
assert torch.allclose(Y1.float(), F.conv2d(X[None], K)[0], atol=1e-5), \
    "Con 4 canales de entrada, 6 de salida y una imagen de 5×7 no coincide con F.conv2d" \
    + posible_causa("corr2d_multi_in_out_1x1", Y1, X=X, K=K)
assert torch.equal(X, X_antes), "No modifiques la entrada X"
print("¡Bien! corr2d_multi_in_out_1x1 pasa las pruebas visibles.")

# %% grade corr2d_multi_in_out_1x1

# %% [markdown]
# ¿Cuánto se gana con el producto de matrices? Comparemos los tiempos con la versión de bucles
# sobre una entrada más grande. (Los valores dependen de tu computadora.)

# %%
torch.manual_seed(0)
lado = 16 if QUICK else 48
X = torch.rand(8, lado, lado)
K = torch.rand(16, 8, 1, 1)
t0 = time.perf_counter()
Y_bucles = corr2d_multi_in_out(X, K)
t1 = time.perf_counter()
Y_matmul = corr2d_multi_in_out_1x1(X, K)
t2 = time.perf_counter()
print(f"entrada {tuple(X.shape)}, kernel {tuple(K.shape)}")
print(f"con bucles:            {1000 * (t1 - t0):8.2f} ms")
print(f"producto de matrices:  {1000 * (t2 - t1):8.2f} ms")
print("¿mismo resultado?", torch.allclose(Y_bucles.float(), Y_matmul.float(), atol=1e-4))

# %% [markdown]
# ## 4. Ejercicio para explorar (sin nota): aprender un laplaciano y un gaussiano
#
# En la tarea 1 aprendimos un kernel de 1×2 a partir de un solo ejemplo. Hagámoslo más en
# serio: generamos imágenes al azar de 64×64, les aplicamos un kernel "secreto" de 3×3 y
# entrenamos una convolución para que lo descubra. Probamos con dos kernels clásicos:
#
# - el **laplaciano** `[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`, que resalta cambios bruscos;
# - el **gaussiano** `[[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16`, que suaviza.
#
# La celda usa `nn.Conv2d` para entrenar (aquí no hace falta programar nada). Prueba a cambiar
# la tasa de aprendizaje, la cantidad de imágenes o de pasos: ¿cuál de los dos kernels se
# aprende más rápido? ¿Qué pasa si la convolución que entrenas tiene sesgo?

# %%
def aprender_kernel_secreto(secreto, n_imagenes=32, pasos=200, lr=0.05, semilla=0):
    torch.manual_seed(semilla)
    X = torch.rand(n_imagenes, 1, 64, 64)
    Y = F.conv2d(X, secreto[None, None])
    conv = nn.Conv2d(1, 1, kernel_size=3, bias=False)
    opt = torch.optim.SGD(conv.parameters(), lr=lr)
    perdidas = []
    for _ in range(pasos):
        loss = ((conv(X) - Y) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        perdidas.append(loss.item())
    return conv.weight.detach()[0, 0], perdidas

secretos = {
    "laplaciano": torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
    "gaussiano": torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16,
}
curvas = {}
for nombre, secreto in secretos.items():
    aprendido, curvas[nombre] = aprender_kernel_secreto(secreto, n_imagenes=4 if QUICK else 32,
                                                        pasos=30 if QUICK else 300)
    error = (aprendido - secreto).abs().max().item()
    print(f"{nombre}: error máximo {error:.4f}\n{aprendido.numpy().round(3)}")
plot_losses(curvas, title="Aprendiendo kernels de 3×3", xlabel="paso", logy=True)
