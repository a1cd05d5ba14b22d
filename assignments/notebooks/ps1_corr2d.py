# Source of assignments/source/ps1_corr2d/ps1_corr2d.ipynb (see assignments/build_notebooks.py).

# %% [markdown]
# # Tarea 1 · La correlación cruzada: el corazón de una capa convolucional
#
# En esta tarea vas a programar desde cero la operación que le da nombre a las redes
# convolucionales. Al terminar vas a saber:
#
# - por qué una imagen es, para la computadora, una matriz de números;
# - cómo se calcula una **correlación cruzada** 2-D y qué tamaño tiene su resultado;
# - cómo un filtro muy pequeño detecta bordes;
# - cómo una red puede **aprender** ese filtro a partir de ejemplos;
# - en qué se diferencia la correlación cruzada de la convolución "de libro".
#
# **Cómo trabajar.** Completa solo las celdas que dicen `# TU CÓDIGO AQUÍ` (borra el
# `raise NotImplementedError()`). Las celdas con pruebas (`assert`) te avisan si algo no está
# bien; las celdas de calificación están vacías: las pruebas ocultas corren al entregar.
# No cambies el nombre ni los argumentos de las funciones. En las funciones que dicen
# *impleméntala tú* no uses las convoluciones de PyTorch (`torch.nn.functional.conv2d`,
# `nn.Conv2d`, ...): bucles, rebanadas (*slicing*) y sumas alcanzan.
#
# El corrector lo revisa leyendo tu código con una **lista de lo permitido**, la misma que trae el
# kit (`cursocnn/allowlist.py`): bucles, rebanadas, tus propias funciones y clases, y las funciones
# de torch y numpy para crear tensores, cambiar su forma, operar, reducir (`sum`, `max`, `mean`),
# `matmul`/`einsum`, `Tensor.unfold` y `F.pad`. Lo que no está en la lista (por ejemplo `getattr`
# con un nombre armado en el momento, `eval`/`exec` o módulos fuera de torch, numpy y la biblioteca
# estándar habitual) no se puede verificar: esa función vale 0 y tu entrega queda marcada para
# revisión. `check()` te avisa antes de entregar. Lo que pongas dentro de
# `if __name__ == "__main__":` no se revisa ni se ejecuta al calificar.
#
# Antes de entregar: *Kernel → Restart & Run All* y revisa que no haya errores.

# %% setup
import torch
from torch import nn

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

# %%
# Herramientas del curso para las demostraciones (no hacen falta para las funciones).
import os
from cursocnn.plots import show_matrix, show_images, show_feature_maps, plot_losses

QUICK = os.environ.get("CNN_QUICK") == "1"  # modo rápido, para las pruebas automáticas

# %% [markdown]
# ## 1. Una imagen es una matriz de intensidades
#
# Una imagen en escala de grises es una grilla de píxeles, y cada píxel guarda un número: su
# intensidad. Con 8 bits, 0 es negro y 255 es blanco; en PyTorch es habitual trabajar con
# valores entre 0 y 1. Una imagen de 28×28 (como las de Fashion-MNIST, que usaremos más
# adelante) es entonces una matriz de 28 filas y 28 columnas.
#
# La idea central de una capa convolucional: un **filtro** (o *kernel*), una matriz pequeña,
# recorre la imagen posición por posición. En cada posición multiplica sus valores por los
# píxeles que tiene debajo y suma todo. Donde la imagen "se parece" al patrón del filtro, la suma
# es grande. Como el mismo filtro se usa en todas las posiciones, el patrón se detecta esté donde
# esté, y con muy pocos parámetros.
#
# Veamos una imagen diminuta: una cruz blanca sobre fondo negro.

# %%
cruz = torch.zeros(7, 7)
cruz[3, 1:6] = 255
cruz[1:6, 3] = 255
print(cruz.int())
show_matrix(cruz, "Una cruz de 7×7 píxeles (0 = negro, 255 = blanco)")

# %% [markdown]
# ## 2. La correlación cruzada
#
# Tomemos una entrada `X` de tamaño $n_h \times n_w$ y un kernel `K` de tamaño
# $k_h \times k_w$. La ventana del tamaño del kernel empieza en la esquina superior izquierda
# de `X` y se desliza de a un lugar, primero hacia la derecha y luego hacia abajo. En cada
# posición $(i, j)$ la salida es
#
# $$Y_{i,j} = \sum_{a=0}^{k_h-1} \sum_{b=0}^{k_w-1} X_{i+a,\,j+b}\; K_{a,b}.$$
#
# La ventana tiene que caber completa dentro de `X`, así que la salida mide
#
# $$(n_h - k_h + 1) \times (n_w - k_w + 1).$$
#
# Ejemplo: con `X = [[0,1,2],[3,4,5],[6,7,8]]` y `K = [[0,1],[2,3]]`, la primera ventana es
# `[[0,1],[3,4]]` y da $0\cdot0 + 1\cdot1 + 3\cdot2 + 4\cdot3 = 19$. El resultado completo es
# `[[19, 25], [37, 43]]`, de 2×2 = (3−2+1)×(3−2+1).
#
# ### Ejercicio 1 · `corr2d(X, K)` (10 puntos, impleméntala tú)
#
# Devuelve la correlación cruzada de la matriz `X` (alto, ancho) con el kernel `K`. Tiene que
# funcionar con matrices y kernels no cuadrados, con un kernel 1×1 y con un kernel tan grande
# como `X` (la salida es entonces 1×1). Pista: crea la salida con `torch.zeros` y llénala con
# dos bucles; `X[i:i + k_h, j:j + k_w]` es la ventana.

# %% solution corr2d

# %% visible corr2d
X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
Y = corr2d(X, K)
assert tuple(Y.shape) == (2, 2), \
    f"La salida debería medir 2×2 y mide {tuple(Y.shape)}" + posible_causa("corr2d", Y, X=X, K=K)
assert torch.allclose(Y.double(), torch.tensor([[19.0, 25.0], [37.0, 43.0]], dtype=torch.float64)), \
    f"Con el ejemplo del texto se esperaba [[19, 25], [37, 43]] y se obtuvo {Y.tolist()}" + posible_causa("corr2d", Y, X=X, K=K)
X2, K2 = torch.ones(4, 7), torch.ones(2, 3)
Y2 = corr2d(X2, K2)
assert tuple(Y2.shape) == (3, 5), \
    f"Con X de 4×7 y K de 2×3 la salida debería medir (4-2+1)×(7-3+1) = 3×5, no {tuple(Y2.shape)}" + posible_causa("corr2d", Y2, X=X2, K=K2)
assert torch.allclose(Y2.double(), torch.full((3, 5), 6.0).double()), \
    "Con todo en unos, cada ventana de 2×3 suma 6"
assert corr2d(X, X).shape == (1, 1) and float(corr2d(X, X)) == 204.0, \
    "Si K es tan grande como X la salida es 1×1: la suma de X*K (aquí 204)"
assert torch.allclose(corr2d(X, torch.tensor([[2.0]])).double(), 2 * X.double()), \
    "Un kernel 1×1 con el valor 2 debería duplicar cada píxel"
print("¡Bien! corr2d pasa las pruebas visibles.")

# %% grade corr2d

# %% [markdown]
# ## 3. Un detector de bordes verticales
#
# Ahora un uso concreto. Construimos una imagen de 6×8 blanca (unos) con una franja negra
# (ceros) en las columnas 2 a 5, y la correlacionamos con el kernel `K = [[1, -1]]`, de 1×2.
# Cada salida es "píxel de la izquierda menos píxel de la derecha":
#
# - donde los dos píxeles son iguales, da 0;
# - en el paso de blanco a negro (columna 1 de la salida) da 1;
# - en el paso de negro a blanco (columna 5 de la salida) da −1.
#
# Si transponemos la imagen, los bordes quedan horizontales y este kernel ya no ve nada: todo
# da 0. Un kernel solo detecta el patrón para el que fue construido.

# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
K = torch.tensor([[1.0, -1.0]])
Y = corr2d(X, K)
print("Salida del detector:\n", Y)
print("Sobre la imagen transpuesta:\n", corr2d(X.t(), K))
show_images([X, X.t()], ["entrada X (1 = blanco, 0 = negro)", "X transpuesta"],
            vmin=0, vmax=1, size=3, suptitle="Las entradas")
show_images([Y, corr2d(X.t(), K)], ["corr2d(X, [[1, -1]])", "corr2d(X.t(), [[1, -1]])"],
            vmin=-1, vmax=1, size=3, colorbar=True,
            suptitle="Las salidas (gris = 0, blanco = 1, negro = -1)")

# %% [markdown]
# ## 4. Aprender el kernel a partir de ejemplos
#
# Diseñar filtros a mano sirve para casos simples, pero para detectar "una oreja de gato"
# nadie sabría qué números poner. La idea de las redes convolucionales es **aprender** los
# valores del kernel: se parte de números al azar y se ajustan con descenso de gradiente para
# que la salida se parezca a la deseada.
#
# Probémoslo con el ejemplo anterior: conocemos la entrada `X` y la salida `Y` del detector;
# ¿puede el descenso de gradiente recuperar el kernel `[[1, -1]]`? El plan:
#
# 1. crear una convolución de 1 canal de entrada y 1 de salida, **sin sesgo**, con el tamaño de
#    kernel pedido: `nn.Conv2d(1, 1, kernel_size=kernel_size, bias=False)` (aquí sí puedes
#    usarla; sus pesos iniciales son aleatorios);
# 2. `nn.Conv2d` trabaja con lotes de forma (lote, canales, alto, ancho): lleva `X` e `Y` a
#    (1, 1, alto, ancho) con `reshape`;
# 3. repetir `num_iters` veces: predecir, calcular el error cuadrático **sumado**
#    `((Y_hat - Y) ** 2).sum()`, poner los gradientes en cero, `backward()`, y actualizar a mano
#    `peso -= lr * gradiente` dentro de `with torch.no_grad():`;
# 4. devolver el kernel aprendido con la forma `kernel_size` (sin las dos dimensiones extra) y
#    sin gradiente (`.detach()`).
#
# En el curso original, con `lr = 3e-2` y 10 iteraciones, la pérdida bajó de 14.6 (iteración 2)
# a 0.185 (iteración 10) y el kernel aprendido fue `[[0.94, -1.03]]`: muy cerca de `[[1, -1]]`.
#
# ### Ejercicio 2 · `learn_kernel(X, Y, kernel_size, lr=3e-2, num_iters=10)` (6 puntos)

# %% solution learn_kernel

# %% visible learn_kernel
X = torch.ones((6, 8))
X[:, 2:6] = 0
Y = torch.zeros((6, 7))
Y[:, 1], Y[:, 5] = 1.0, -1.0  # la salida del detector de bordes, escrita a mano
torch.manual_seed(0)
k = learn_kernel(X, Y, (1, 2))
assert tuple(k.shape) == (1, 2), f"El kernel debería tener la forma kernel_size = (1, 2), no {tuple(k.shape)}"
assert not k.requires_grad, "Devuelve el kernel sin gradiente: usa .detach()"
assert torch.allclose(k.double(), torch.tensor([[1.0, -1.0]], dtype=torch.float64), atol=0.15), \
    f"Tras 10 iteraciones el kernel debería estar cerca de [[1, -1]]; se obtuvo {k.tolist()}" \
    + posible_causa("learn_kernel", k, X=X, Y=Y, kernel_size=(1, 2), semilla=0)
torch.manual_seed(0)
k = learn_kernel(X, Y, (1, 2), num_iters=30)
assert torch.allclose(k.double(), torch.tensor([[1.0, -1.0]], dtype=torch.float64), atol=0.01), \
    f"Con 30 iteraciones el kernel debería ser casi exactamente [[1, -1]]; se obtuvo {k.tolist()}" \
    + posible_causa("learn_kernel", k, X=X, Y=Y, kernel_size=(1, 2), semilla=0, num_iters=30)
print("¡Bien! learn_kernel recupera el detector de bordes:", k.tolist())

# %% grade learn_kernel

# %% [markdown]
# ¿Cómo baja la pérdida? Como la función solo devuelve el kernel, usamos un truco: con la misma
# semilla aleatoria el punto de partida es siempre el mismo, así que `learn_kernel(..., num_iters=i)`
# devuelve el kernel tras `i` pasos de un mismo recorrido. Con `corr2d` medimos su error.

# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
Y = corr2d(X, torch.tensor([[1.0, -1.0]]))
losses = []
for i in range(11):
    torch.manual_seed(42)
    k_i = learn_kernel(X, Y, (1, 2), lr=3e-2, num_iters=i)
    losses.append(float(((corr2d(X, k_i) - Y) ** 2).sum()))
    if i in (1, 2, 5, 10):
        print(f"iteración {i:2d}: pérdida {losses[-1]:8.3f}   kernel {[round(v, 3) for v in k_i.flatten().tolist()]}")
plot_losses(losses, title="Aprendiendo el kernel [[1, -1]] (lr = 3e-2)", logy=True)

# %% [markdown]
# ## 5. Correlación cruzada y convolución estricta
#
# En matemática, la **convolución** de dos funciones voltea una de ellas antes de recorrer la
# otra. En 2-D eso equivale a girar el kernel 180°: invertir el orden de sus filas y el de sus
# columnas, y recién entonces hacer la correlación cruzada. Lo que las bibliotecas de redes
# neuronales llaman "convolución" es en realidad la correlación cruzada que ya programaste.
#
# ¿Importa la diferencia? En la práctica no: como el kernel se **aprende**, si la operación
# volteara el kernel, la red simplemente aprendería el kernel volteado y la salida sería la
# misma. Pero conviene saberlo al leer textos de procesamiento de señales.
#
# ### Ejercicio 3 · `conv2d_strict(X, K)` (4 puntos)
#
# Devuelve la convolución estricta: voltea `K` en sus dos ejes (mira `torch.flip`) y usa tu
# `corr2d`.

# %% solution conv2d_strict

# %% visible conv2d_strict
X = torch.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0, 8.0]])
K = torch.tensor([[0.0, 1.0], [2.0, 3.0]])
Y = conv2d_strict(X, K)
assert torch.allclose(Y.double(), torch.tensor([[5.0, 11.0], [23.0, 29.0]], dtype=torch.float64)), \
    f"Con K volteado ([[3, 2], [1, 0]]) se esperaba [[5, 11], [23, 29]] y se obtuvo {Y.tolist()}" \
    + posible_causa("conv2d_strict", Y, X=X, K=K)
assert torch.equal(K, torch.tensor([[0.0, 1.0], [2.0, 3.0]])), "conv2d_strict no debe modificar K"
simetrico = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]])
Z = torch.arange(20.0).reshape(4, 5)
assert torch.allclose(conv2d_strict(Z, simetrico), corr2d(Z, simetrico)), \
    "Con un kernel simétrico (igual a sí mismo volteado) ambas operaciones coinciden"
assert torch.allclose(conv2d_strict(Z, torch.tensor([[1.0, -1.0]])), -corr2d(Z, torch.tensor([[1.0, -1.0]]))), \
    "Voltear [[1, -1]] da [[-1, 1]]: la convolución estricta debería cambiar el signo de la correlación"
print("¡Bien! conv2d_strict pasa las pruebas visibles.")

# %% grade conv2d_strict

# %% [markdown]
# Con el detector de bordes se ve claro: la convolución estricta usa `[[-1, 1]]`, así que los
# bordes aparecen con el signo opuesto. Un kernel aprendido absorbería esa diferencia.

# %%
X = torch.ones((6, 8))
X[:, 2:6] = 0
K = torch.tensor([[1.0, -1.0]])
show_feature_maps([corr2d(X, K), conv2d_strict(X, K)],
                  ["correlación cruzada", "convolución estricta"],
                  suptitle="El mismo kernel [[1, -1]] con las dos operaciones")

# %% [markdown]
# ## 6. Mapas de características y campo receptivo
#
# La salida de una capa convolucional se llama **mapa de características** (*feature map*):
# es una imagen nueva que indica, posición por posición, cuánto aparece el patrón del kernel.
# Probemos con una prenda de Fashion-MNIST y cuatro filtros hechos a mano: bordes verticales,
# bordes horizontales, un suavizado y un detector de cambios bruscos (el laplaciano).
# Cada filtro resalta cosas distintas de la misma imagen: una red aprende decenas de filtros así.

# %%
from cursocnn.data import load_tensors

imagenes, etiquetas = load_tensors(train=False)
img = imagenes[0, 0]  # la primera imagen de prueba, 28×28 con valores en [0, 1]
filtros = {
    "bordes verticales": torch.tensor([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "bordes horizontales": torch.tensor([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "suavizado": torch.ones(3, 3) / 9,
    "laplaciano": torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
}
mapas = [corr2d(img, k) for k in filtros.values()]
show_images([img], [f"entrada (clase {int(etiquetas[0])})"], size=2.6)
show_feature_maps(mapas, list(filtros), ncols=4)
print("Entrada:", tuple(img.shape), "→ cada mapa:", tuple(mapas[0].shape))

# %% [markdown]
# El **campo receptivo** de un valor de la salida son todos los píxeles de la entrada que
# pueden influir en él. Con un kernel de 3×3, cada salida "ve" una ventana de 3×3. Si apilamos
# una segunda correlación de 3×3 sobre el mapa de características, cada salida de la segunda
# capa depende de 3×3 valores de la primera, y cada uno de ellos de 3×3 píxeles: en total una
# ventana de 5×5 de la imagen. Cuanto más profunda la red, más grande es la región de la imagen
# que cada valor resume.
#
# Podemos comprobarlo con el gradiente: derivamos una salida de la segunda capa respecto de la
# imagen; los píxeles con gradiente distinto de cero forman su campo receptivo.

# %%
X = torch.rand(9, 9, requires_grad=True)
capa1 = corr2d(X, torch.rand(3, 3) + 0.1)
capa2 = corr2d(capa1, torch.rand(3, 3) + 0.1)
capa2[2, 2].backward()
campo = (X.grad != 0).float()
print("Forma de la capa 1:", tuple(capa1.shape), "| forma de la capa 2:", tuple(capa2.shape))
print("Tamaño del campo receptivo de capa2[2, 2]:", int(campo.sum(0).max()), "×", int(campo.sum(1).max()))
show_matrix(campo, "Píxeles que influyen en capa2[2, 2]", annotate=False)

# %% [markdown]
# ## 7. Práctica sin nota: aprender un laplaciano y un gaussiano
#
# Tu `learn_kernel` recuperó el detector de bordes. ¿Puede aprender kernels de 3x3? Un ejercicio
# de la unidad propone generar los datos con un kernel conocido y ver si el descenso de
# gradiente lo encuentra:
#
# * el **laplaciano** `[[0, 1, 0], [1, -4, 1], [0, 1, 0]]`, que resalta los cambios bruscos;
# * el **gaussiano** `[[1, 2, 1], [2, 4, 2], [1, 2, 1]] / 16`, que suaviza (un promedio
#   ponderado de cada píxel con sus vecinos).
#
# Como entrada usamos una imagen de 64x64 con intensidades al azar: el ruido tiene de todo, así
# que cada peso del kernel deja su huella en la salida.

# %%
from cursocnn.practice import check_kernel

laplaciano = torch.tensor([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]])
gaussiano = torch.tensor([[1.0, 2.0, 1.0], [2.0, 4.0, 2.0], [1.0, 2.0, 1.0]]) / 16
torch.manual_seed(0)
X_ruido = torch.rand(64, 64)
Y_lap = corr2d(X_ruido, laplaciano)
Y_gau = corr2d(X_ruido, gaussiano)
show_images([X_ruido, Y_lap, Y_gau], ["entrada 64×64 (ruido)", "laplaciano 62×62", "gaussiano 62×62"],
            size=2.6)

# %% [markdown]
# Primero, con los valores por defecto de `learn_kernel` (`lr = 3e-2`, 10 iteraciones), los
# mismos que funcionaron con el detector de bordes:

# %%
torch.manual_seed(1)
k_lap = learn_kernel(X_ruido, Y_lap, (3, 3))
print("kernel aprendido:\n", k_lap)
check_kernel(k_lap, laplaciano, "laplaciano");

# %% [markdown]
# **¿Qué pasó?** La pérdida es la **suma** de los errores al cuadrado de todas las salidas. En el
# detector de bordes había 6 × 7 = 42 salidas; ahora hay 62 × 62 = 3844, así que el gradiente
# es cientos de veces más grande y un paso de `lr = 3e-2` salta mucho más allá del mínimo: cada
# paso empeora el anterior y el descenso **diverge**.
#
# **Tu turno.** Cambia `lr` y `num_iters` en la celda de abajo hasta que los dos kernels se
# aprendan (la comprobación te dice si lo lograste, y qué tan lejos quedaste). Pistas: prueba
# tasas de aprendizaje cada vez 10 veces más chicas; si el error baja pero no lo suficiente,
# agrega iteraciones. ¿Se aprende igual de rápido el gaussiano que el laplaciano?

# %%
lr, num_iters = 3e-2, 10   # cambia estos valores

for nombre, objetivo, Y_objetivo in [("laplaciano", laplaciano, Y_lap), ("gaussiano", gaussiano, Y_gau)]:
    torch.manual_seed(1)
    aprendido = learn_kernel(X_ruido, Y_objetivo, (3, 3), lr=lr, num_iters=num_iters)
    check_kernel(aprendido, objetivo, nombre)

# %% [markdown]
# ## Para seguir (sin nota)
#
# - Diseña un kernel de 2×2 que detecte bordes **diagonales** y pruébalo sobre `torch.eye(6)`.
# - Usa `learn_kernel` para aprender un kernel de 1×2 sobre la imagen **transpuesta** del
#   detector de bordes (con su salida). ¿Qué pasa y por qué?
# - ¿Cuántos píxeles abarca el campo receptivo tras tres capas de 3×3? ¿Y tras $L$ capas?
