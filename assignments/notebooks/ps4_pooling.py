# %% [markdown]
# # Tarea 4: *pooling* (agrupamiento)
#
# En las tareas anteriores construimos capas convolucionales: cada salida depende de una
# pequeña ventana de la entrada y los mapas de características conservan (casi) la resolución
# de la imagen. En esta tarea estudiamos la otra pieza clásica de una red convolucional: la capa
# de **pooling** (también llamada *agrupamiento* o *submuestreo*).
#
# ¿Para qué sirve?
#
# * **Tolerar pequeños desplazamientos.** Si un borde se mueve uno o dos píxeles, el valor máximo
#   de la ventana que lo contiene suele seguir siendo el mismo. Las salidas de la red se vuelven
#   menos sensibles a la posición exacta de cada detalle.
# * **Reducir la resolución.** Al resumir cada ventana en un solo número (y avanzar con un paso
#   mayor que 1), el mapa se achica. Así las capas siguientes "ven" una región más grande de la
#   imagen original con menos cálculo.
#
# Una capa de pooling recorre la entrada con una ventana, igual que la correlación cruzada, pero
# en lugar de multiplicar por un kernel calcula un resumen fijo de la ventana:
#
# * **pooling máximo** (*max pooling*): el mayor valor de la ventana;
# * **pooling promedio** (*average pooling*): la media de los valores de la ventana.
#
# Dos diferencias importantes con la convolución:
#
# 1. **No tiene parámetros**: no hay nada que aprender, la operación está fija.
# 2. **Trabaja canal por canal**: no suma los canales de entrada, así que la salida tiene
#    **el mismo número de canales** que la entrada.
#
# Recuerda la regla del curso: las funciones calificadas deben implementarse a mano (bucles,
# rebanadas, `max`, `mean`...), **sin** usar `nn.MaxPool2d`, `F.max_pool2d`, `F.avg_pool2d` ni
# otras funciones de PyTorch que hagan todo el trabajo. Sí puedes usarlas para comprobar tus
# resultados en las celdas de demostración.
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

# %% [markdown]
# **Autoevaluación.** Cuando termines una función, puedes correr sus pruebas públicas con
# `check("nombre_de_la_función")` (o `check()` para todas). Desde una terminal, en la carpeta de
# la tarea: `python -m cursocnn.selfcheck`. La nota final la dan pruebas ocultas más completas.
# Cuando una prueba falla por un error típico (el kernel volteado, la salida traspuesta, un tamaño
# desfasado en uno, ...), su mensaje termina con **Posible causa: ...**, la misma pista que te
# daría la devolución del corrector.

# %%
from cursocnn.selfcheck import check
from cursocnn.hints import posible_causa, pista  # las pruebas de abajo las usan para nombrar la causa probable de un error

# %% [markdown]
# ## 1. Pooling máximo y promedio
#
# Empecemos por el caso más simple: una entrada bidimensional `X` de forma `(h, w)`, una ventana
# de `p_h x p_w`, **paso 1** y **sin relleno**. Como en `corr2d`, la salida tiene forma
# `(h - p_h + 1, w - p_w + 1)`, y el elemento `(i, j)` resume la ventana
# `X[i:i + p_h, j:j + p_w]`.
#
# Por ejemplo, con `X = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]` y una ventana de 2x2:
#
# * máximo: `[[4, 5], [7, 8]]` (por ejemplo, `max(0, 1, 3, 4) = 4`);
# * promedio: `[[2, 3], [5, 6]]` (por ejemplo, `(0 + 1 + 3 + 4) / 4 = 2`).
#
# **Ejercicio.** Completa `pool2d(X, pool_size, mode='max')`:
#
# * `pool_size` es un par `(p_h, p_w)`;
# * `mode='max'` calcula el máximo de cada ventana y `mode='avg'` el promedio;
# * cualquier otro valor de `mode` debe lanzar un `ValueError`.
#
# > **Ojo con un error del curso original.** La versión del curso creaba primero una salida de
# > ceros y solo la rellenaba si `mode` era `'max'` o `'avg'`. Con un modo mal escrito
# > (`'mean'`, `'Max'`...) devolvía una matriz de ceros **sin avisar**, y el error pasaba
# > inadvertido. Un error silencioso es mucho peor que uno ruidoso: aquí queremos que la función
# > se queje con `raise ValueError(...)`.
#
# Pista: reserva la salida con `torch.zeros(...)` usando el mismo `dtype` que `X`, y recorre
# sus posiciones con dos bucles.

# %% solution pool2d

# %% [markdown]
# Comprobemos tu función con los ejemplos de arriba (esta celda no da puntos, pero te ayuda a
# encontrar errores antes de la calificación).

# %% visible pool2d
X = torch.arange(9, dtype=torch.float32).reshape(3, 3)
Y_max = pool2d(X, (2, 2))
assert tuple(Y_max.shape) == (2, 2), \
    f"Con X de 3x3 y ventana 2x2 la salida debe ser 2x2, no {tuple(Y_max.shape)}" + posible_causa("pool2d", Y_max, X=X, pool_size=(2, 2))
assert torch.allclose(Y_max.double(), torch.tensor([[4., 5.], [7., 8.]], dtype=torch.float64)), \
    f"El pooling máximo (modo por defecto) debería dar [[4, 5], [7, 8]], pero dio {Y_max.tolist()}" \
    + posible_causa("pool2d", Y_max, X=X, pool_size=(2, 2))
Y_avg = pool2d(X, (2, 2), 'avg')
assert torch.allclose(Y_avg.double(), torch.tensor([[2., 3.], [5., 6.]], dtype=torch.float64)), \
    f"El pooling promedio debería dar [[2, 3], [5, 6]], pero dio {Y_avg.tolist()}" \
    + posible_causa("pool2d", Y_avg, X=X, pool_size=(2, 2), mode='avg')
Y_rect = pool2d(X, (1, 3))
assert tuple(Y_rect.shape) == (3, 1), \
    f"Con una ventana de 1x3 la salida debe ser 3x1 (¿intercambiaste alto y ancho?), no {tuple(Y_rect.shape)}" \
    + posible_causa("pool2d", Y_rect, X=X, pool_size=(1, 3))
assert torch.allclose(Y_rect.double().flatten(), torch.tensor([2., 5., 8.], dtype=torch.float64)), \
    f"Con una ventana de 1x3, el máximo de cada fila es 2, 5 y 8; obtuviste {Y_rect.flatten().tolist()}" \
    + posible_causa("pool2d", Y_rect, X=X, pool_size=(1, 3))
try:
    pool2d(X, (2, 2), mode='mean')
except ValueError:
    pass
else:
    raise AssertionError("pool2d con mode='mean' debe lanzar ValueError en lugar de devolver un resultado"
                         + pista("no_value_error"))
print("¡Bien! pool2d pasa las comprobaciones visibles.")

# %% grade pool2d

# %% [markdown]
# ## 2. Relleno, paso y varios canales
#
# Como en las capas convolucionales, el pooling admite **relleno** (*padding*) y **paso**
# (*stride*). El tamaño de la salida sigue la misma fórmula que en la tarea 2:
#
# $$\left\lfloor \frac{n + 2p - k}{s} \right\rfloor + 1$$
#
# con `n` el tamaño de la entrada, `k` el de la ventana, `p` el relleno **por lado** y `s` el
# paso, en cada eje.
#
# Hay una diferencia con `nn.Conv2d`: en PyTorch, `nn.MaxPool2d` y `nn.AvgPool2d` usan por
# defecto **un paso igual al tamaño de la ventana**, es decir, ventanas que no se solapan. Con
# una ventana de 2x2 y el paso por defecto, un mapa de 28x28 pasa a 14x14.
#
# Ejemplos con `X = torch.arange(16.).reshape(1, 1, 4, 4)`:
#
# * ventana 3 (paso 3 por defecto): una sola ventana, `[[10]]`;
# * ventana 3, relleno 1, paso 2: `[[5, 7], [13, 15]]`;
# * ventana `(2, 3)`, paso `(2, 3)`, relleno `(0, 1)`: también `[[5, 7], [13, 15]]`.
#
# ¿Con qué se rellena? El pooling máximo de PyTorch rellena con $-\infty$ (así el relleno nunca
# gana el máximo, aunque todos los valores sean negativos). El pooling promedio rellena con
# ceros y **los cuenta** en el promedio (`count_include_pad=True`, la opción por defecto).
#
# **Varios canales.** Si la entrada tiene forma `(..., h, w)` (por ejemplo `(c, h, w)` o
# `(n, c, h, w)`), cada rebanada bidimensional se agrupa **por separado**: la salida tiene forma
# `(..., h', w')`, con los mismos canales (y el mismo lote) que la entrada.
#
# **Ejercicio.** Completa
# `pool2d_pad_stride(X, pool_size, mode='max', padding=0, stride=None)`:
#
# * `pool_size`, `padding` y `stride` pueden ser un entero (el mismo valor en ambos ejes) o un par
#   `(alto, ancho)`;
# * `stride=None` significa "igual a `pool_size`";
# * `mode` es `'max'` o `'avg'`; cualquier otro valor lanza `ValueError`;
# * el resultado debe coincidir con `F.max_pool2d` / `F.avg_pool2d` con los mismos argumentos.
#
# Pistas: `X.shape[:-2]` son las dimensiones "de adelante" (canales, lote); `torch.full` crea
# la entrada rellenada; `window.amax(dim=(-2, -1))` y `window.mean(dim=(-2, -1))` resumen todas
# las ventanas de una posición `(i, j)` a la vez, en todos los canales.

# %% solution pool2d_pad_stride

# %% visible pool2d_pad_stride
import torch.nn.functional as F

X = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
Y = pool2d_pad_stride(X, 3)
assert tuple(Y.shape) == (1, 1, 1, 1), \
    f"Con ventana 3 y el paso por defecto (igual a la ventana) la salida de 4x4 es 1x1; obtuviste la forma {tuple(Y.shape)}" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=3)
assert float(Y.flatten()[0]) == 10, f"El máximo de la única ventana 3x3 es 10, no {float(Y.flatten()[0])}" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=3)
Y = pool2d_pad_stride(X, 3, padding=1, stride=2)
assert torch.allclose(Y.double(), torch.tensor([[[[5., 7.], [13., 15.]]]], dtype=torch.float64)), \
    f"Con ventana 3, relleno 1 y paso 2 se esperaba [[5, 7], [13, 15]]; obtuviste {Y.tolist()}" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=3, padding=1, stride=2)
Y = pool2d_pad_stride(X, (2, 3), padding=(0, 1), stride=(2, 3))
assert torch.allclose(Y.double(), torch.tensor([[[[5., 7.], [13., 15.]]]], dtype=torch.float64)), \
    f"Con ventana (2, 3), relleno (0, 1) y paso (2, 3) se esperaba [[5, 7], [13, 15]]; obtuviste {Y.tolist()}" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=(2, 3), padding=(0, 1), stride=(2, 3))
Y = pool2d_pad_stride(X[0, 0], 2)
assert tuple(Y.shape) == (2, 2), f"Una entrada 2-D de 4x4 con ventana 2 debe dar 2x2; obtuviste {tuple(Y.shape)}"

X2 = torch.cat((X, X + 1), 1)
Y2 = pool2d_pad_stride(X2, 3, padding=1, stride=2)
assert tuple(Y2.shape) == (1, 2, 2, 2), \
    f"El pooling conserva el número de canales: con 2 canales de entrada la salida debe ser (1, 2, 2, 2), no {tuple(Y2.shape)}"
assert torch.allclose(Y2[0, 1].double(), torch.tensor([[6., 8.], [14., 16.]], dtype=torch.float64)), \
    f"El canal 1 (X + 1) debería dar [[6, 8], [14, 16]]; obtuviste {Y2[0, 1].tolist()}"

Y = pool2d_pad_stride(X, 2, mode='avg')
assert torch.allclose(Y.double(), torch.tensor([[[[2.5, 4.5], [10.5, 12.5]]]], dtype=torch.float64)), \
    f"El pooling promedio 2x2 (paso 2) debería dar [[2.5, 4.5], [10.5, 12.5]]; obtuviste {Y.tolist()}" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=2, mode='avg')
Y = pool2d_pad_stride(X, 3, mode='avg', padding=1, stride=2)
assert torch.allclose(Y.double(), F.avg_pool2d(X, 3, padding=1, stride=2).double()), \
    "Con relleno, el pooling promedio cuenta los ceros del relleno (divide siempre por el tamaño de la ventana)" \
    + posible_causa("pool2d_pad_stride", Y, X=X, pool_size=3, mode='avg', padding=1, stride=2)
X_neg = -X - 1
Y = pool2d_pad_stride(X_neg, 3, padding=1, stride=2)
assert torch.allclose(Y.double(), F.max_pool2d(X_neg, 3, padding=1, stride=2).double()), \
    "Con valores negativos el relleno no debe ganar el máximo: rellena con -inf en el modo 'max', no con ceros" \
    + posible_causa("pool2d_pad_stride", Y, X=X_neg, pool_size=3, padding=1, stride=2)
try:
    pool2d_pad_stride(X, 2, mode='min')
except ValueError:
    pass
else:
    raise AssertionError("pool2d_pad_stride con mode='min' debe lanzar ValueError" + pista("no_value_error"))
print("¡Bien! pool2d_pad_stride pasa las comprobaciones visibles.")

# %% grade pool2d_pad_stride

# %% [markdown]
# ### Comparación con las capas de PyTorch
#
# En la práctica usarás `nn.MaxPool2d` y `nn.AvgPool2d`. Comparemos sus resultados con los de tu
# función en los tres ejemplos de esta sección (ahora con dos canales). Observa que las capas
# de pooling **no tienen parámetros**.

# %%
X = torch.arange(16, dtype=torch.float32).reshape(1, 1, 4, 4)
X2 = torch.cat((X, X + 1), 1)
configs = [
    dict(kernel_size=3),
    dict(kernel_size=3, padding=1, stride=2),
    dict(kernel_size=(2, 3), padding=(0, 1), stride=(2, 3)),
]
for mode, layer_class in [('max', nn.MaxPool2d), ('avg', nn.AvgPool2d)]:
    for config in configs:
        layer = layer_class(**config)
        expected = layer(X2)
        mine = pool2d_pad_stride(X2, config['kernel_size'], mode=mode,
                                 padding=config.get('padding', 0), stride=config.get('stride'))
        same = torch.allclose(mine.double(), expected.double())
        print(f"{layer_class.__name__}({config}): forma {tuple(expected.shape)}, "
              f"coincide con la tuya: {same}")
print("Parámetros de nn.MaxPool2d(2):", sum(p.numel() for p in nn.MaxPool2d(2).parameters()))
print("Parámetros de nn.Conv2d(2, 2, 3):", sum(p.numel() for p in nn.Conv2d(2, 2, 3).parameters()))

# %% [markdown]
# ### Tolerancia a pequeños desplazamientos
#
# Veamos la idea de la introducción con un ejemplo. Tomamos una imagen de 6x8 con una franja
# negra vertical (ceros) sobre fondo blanco (unos), como en el detector de bordes de la
# tarea 1, y marcamos sus bordes verticales con el kernel `[[1, -1]]` (en valor absoluto: 1
# donde hay un borde, 0 donde no).
#
# Si movemos la imagen una columna, el mapa de bordes cambia: ya no coincide con el original.
# Pero si al mapa de la imagen original le aplicamos un pooling máximo de 1x3 (paso 1, relleno
# 1 a los lados, para conservar el ancho), el resultado marca "hay un borde cerca" y cubre los
# bordes de la imagen movida, hacia cualquiera de los dos lados.

# %%
def edge_map(image):
    """Bordes verticales con el kernel [[1, -1]], en valor absoluto."""
    return (image[:, :-1] - image[:, 1:]).abs()


image = torch.ones(6, 8)
image[:, 2:6] = 0
edges = edge_map(image)
pooled = pool2d_pad_stride(edges, (1, 3), padding=(0, 1), stride=1)
print(f"{'Bordes de la imagen original:':42}", edges[0].tolist())
print(f"{'Tras un pooling máximo de 1x3:':42}", pooled[0].tolist())
for shift, name in [(1, "derecha"), (-1, "izquierda")]:
    moved = edge_map(torch.roll(image, shifts=shift, dims=1))
    print(f"{'Bordes de la imagen movida a la ' + name + ':':42}", moved[0].tolist())
    print("    ¿coincide con el mapa original?", torch.equal(moved, edges),
          "| ¿el mapa agrupado cubre todos sus bordes?", bool((pooled[moved > 0] > 0).all()))

# %% [markdown]
# ### Pooling sobre una imagen real
#
# Apliquemos tu `pool2d_pad_stride` a una prenda del conjunto de prueba de Fashion-MNIST
# (imágenes de 28x28 en escala de grises, la base de datos que usaremos en la tarea 5).
# Con una ventana de 2x2 la imagen pasa a 14x14, y con 4x4 a 7x7: se pierden detalles finos,
# pero la forma general de la prenda sigue siendo reconocible. Compara el pooling máximo (que
# conserva los trazos claros) con el promedio (que suaviza).

# %%
import matplotlib.pyplot as plt
from cursocnn.data import load_tensors

images, labels = load_tensors(train=False)
image = images[0]   # forma (1, 28, 28): un canal
panels = [
    ("original 28x28", image),
    ("máximo 2x2 -> 14x14", pool2d_pad_stride(image, 2, mode='max')),
    ("promedio 2x2 -> 14x14", pool2d_pad_stride(image, 2, mode='avg')),
    ("máximo 4x4 -> 7x7", pool2d_pad_stride(image, 4, mode='max')),
    ("promedio 4x4 -> 7x7", pool2d_pad_stride(image, 4, mode='avg')),
]
fig, axes = plt.subplots(1, len(panels), figsize=(3 * len(panels), 3.2))
for ax, (title, picture) in zip(axes, panels):
    ax.imshow(picture[0], cmap='gray', vmin=0, vmax=1)
    ax.set_title(title, fontsize=10)
    ax.axis('off')
plt.tight_layout()
plt.show()

# %% [markdown]
# ## 3. Ejercicios sin nota: formas tras el pooling
#
# Estas preguntas vienen de los ejercicios de la unidad. No dan puntos: escribe tu respuesta en
# la celda y ejecútala; la comprobación usa tu `pool2d_pad_stride`.
#
# **a)** Con un pooling de 2x2 y el paso por defecto de PyTorch (igual a la ventana), ¿qué
# tamaño de entrada `(h, w)` produce un mapa de 16x16? ¿Hay una sola respuesta? ¿Y si el paso
# fuera 1?
#
# **b)** Partimos de una entrada de 16x16 y usamos una ventana de 2x2 sin relleno. ¿Qué paso
# `s` produce una salida de 4x4?

# %%
answer_input_size = None   # a) escribe aquí tu respuesta, por ejemplo (20, 20)
answer_stride = None       # b) escribe aquí tu respuesta, por ejemplo 3

if answer_input_size is None:
    print("a) Aún sin respuesta.")
else:
    out = pool2d_pad_stride(torch.zeros(answer_input_size), 2)
    verdict = "¡correcto!" if tuple(out.shape) == (16, 16) else "no es 16x16, prueba otra vez"
    print(f"a) Entrada {tuple(answer_input_size)} -> salida {tuple(out.shape)}: {verdict}")
if answer_stride is None:
    print("b) Aún sin respuesta.")
else:
    out = pool2d_pad_stride(torch.zeros(16, 16), 2, stride=answer_stride)
    verdict = "¡correcto!" if tuple(out.shape) == (4, 4) else "no es 4x4, prueba otra vez"
    print(f"b) Paso {answer_stride} -> salida {tuple(out.shape)}: {verdict}")

# %% [markdown]
# **Para pensar.** ¿Qué pasa con el número de canales tras el pooling? ¿Por qué una capa de
# pooling no aumenta el número de parámetros de una red? ¿Qué ventaja tiene el pooling máximo
# sobre el promedio para detectar que "hay un borde en esta zona"?
