# %% [markdown]
# # Tarea 5: LeNet-5 sobre Fashion-MNIST
#
# Ya tenemos todas las piezas: convoluciones con relleno y paso, varios canales y pooling. En
# esta tarea las juntamos en una red completa, **LeNet-5**, una de las primeras redes
# convolucionales que funcionaron en la práctica (Yann LeCun y colaboradores la usaron en los
# años 90 para leer dígitos escritos a mano en cheques y sobres).
#
# Vamos a entrenarla para clasificar las prendas de **Fashion-MNIST**: imágenes de 28x28 píxeles
# en escala de grises, de 10 clases (camiseta/top, pantalón, suéter, vestido, abrigo, sandalia,
# camisa, zapatilla, bolso y bota).
#
# En esta tarea sí usamos las capas de PyTorch (`nn.Conv2d`, `nn.AvgPool2d`, ...): ya sabes qué
# hacen por dentro porque las programaste en las tareas anteriores.
#
# Plan:
#
# 1. construir LeNet (`lenet`) y revisar las formas de cada capa (`layer_shapes`);
# 2. escribir las piezas del entrenamiento (`accuracy`, `train_epoch`, `evaluate`);
# 3. entrenar y evaluar la red, quedándonos con el mejor modelo según la validación;
# 4. mejorarla con ReLU y pooling máximo (`lenet_modern`);
# 5. los ejercicios de la unidad: una LeNet más ancha (`lenet_wide`) y una LeNet para las
#    imágenes en color de CIFAR-10 (`lenet_rgb`).

# %% setup
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

# %% [markdown]
# **Autoevaluación.** Cuando termines una función, puedes correr sus pruebas públicas con
# `check("nombre_de_la_función")` (o `check()` para todas). Desde una terminal, en la carpeta de
# la tarea: `python -m cursocnn.selfcheck`. La nota final la dan pruebas ocultas más completas.

# %%
from cursocnn.selfcheck import check

# %% [markdown]
# ## 1. La arquitectura
#
# LeNet tiene dos partes:
#
# * un **bloque convolucional**: dos capas convolucionales con kernel de 5x5, cada una seguida de
#   una activación sigmoide y de un pooling promedio de 2x2 con paso 2. La primera convolución
#   tiene 6 canales de salida y relleno 2 (así conserva el tamaño de 28x28); la segunda tiene 16
#   canales de salida y no usa relleno;
# * un **bloque denso**: se aplana el resultado (16 canales de 5x5 = 400 números) y se pasa por
#   tres capas totalmente conectadas de 120, 84 y 10 salidas, con sigmoides entre ellas.
#
# | capa | salida para una imagen de 1x28x28 |
# |---|---|
# | `Conv2d(1, 6, kernel_size=5, padding=2)` + `Sigmoid` | 6 x 28 x 28 |
# | `AvgPool2d(kernel_size=2, stride=2)` | 6 x 14 x 14 |
# | `Conv2d(6, 16, kernel_size=5)` + `Sigmoid` | 16 x 10 x 10 |
# | `AvgPool2d(kernel_size=2, stride=2)` | 16 x 5 x 5 |
# | `Flatten` | 400 |
# | `Linear(400, 120)` + `Sigmoid` | 120 |
# | `Linear(120, 84)` + `Sigmoid` | 84 |
# | `Linear(84, 10)` | 10 |
#
# Observa el patrón típico de las redes convolucionales: a medida que avanzamos, la resolución
# baja (28 → 14 → 10 → 5) y el número de canales sube (1 → 6 → 16).
#
# Dos detalles más:
#
# * **La última capa devuelve *logits*** (puntajes sin normalizar), no probabilidades. La
#   softmax la aplica la función de pérdida: `nn.CrossEntropyLoss` combina softmax y entropía
#   cruzada de forma numéricamente estable. Por eso **no** pongas `nn.Softmax` en el modelo.
# * **Inicialización de Xavier.** Con sigmoides, una mala escala inicial de los pesos puede
#   frenar mucho el aprendizaje. Inicializa los pesos de cada `nn.Conv2d` y `nn.Linear` con
#   `nn.init.xavier_uniform_(capa.weight)`.
#
# La red completa tiene **61.706 parámetros**. (¿Puedes verificarlo a mano? La primera
# convolución tiene 6·1·5·5 pesos + 6 sesgos = 156.)
#
# **Ejercicio.** Completa `lenet()`: debe devolver un `nn.Sequential` con las capas de la tabla
# (en ese orden, con las sigmoides como capas separadas) e inicializado con Xavier.

# %% solution lenet

# %% visible lenet
net = lenet()
assert isinstance(net, nn.Sequential), "lenet() debe devolver un nn.Sequential"
out = net(torch.zeros(2, 1, 28, 28))
assert tuple(out.shape) == (2, 10), f"Para un lote de 2 imágenes la salida debe ser (2, 10), no {tuple(out.shape)}"
n_params = sum(p.numel() for p in net.parameters())
assert n_params == 61706, f"LeNet tiene 61.706 parámetros; tu red tiene {n_params}"
assert not any(isinstance(m, (nn.Softmax, nn.LogSoftmax)) for m in net.modules()), \
    "No pongas Softmax en el modelo: la aplica nn.CrossEntropyLoss"
kinds = {type(m).__name__ for m in net}
assert {'Sigmoid', 'AvgPool2d'} <= kinds, "LeNet usa activaciones Sigmoid y pooling promedio (AvgPool2d)"
shapes, X = [], torch.zeros(1, 1, 28, 28)
for layer in net:
    X = layer(X)
    if not shapes or shapes[-1] != tuple(X.shape[1:]):
        shapes.append(tuple(X.shape[1:]))
expected = [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,)]
assert shapes == expected, f"Las formas por capa deberían ser {expected}; las tuyas son {shapes}"
big = [m for m in net if isinstance(m, nn.Linear) and m.in_features == 400][0]
assert big.weight.abs().max() > 0.07, \
    "Los pesos de Linear(400, 120) parecen tener la inicialización por defecto: usa nn.init.xavier_uniform_"
print("¡Bien! lenet pasa las comprobaciones visibles.")

# %% grade lenet

# %% [markdown]
# ### Las formas capa por capa
#
# Para depurar una red conviene mirar la forma de la salida de cada capa: si algo no encaja
# (por ejemplo, la cantidad de entradas de la primera capa lineal), se ve enseguida.
#
# **Ejercicio.** Completa `layer_shapes(net, input_shape)`: crea un tensor aleatorio de forma
# `input_shape` (con `torch.rand`), pásalo capa por capa por el `nn.Sequential` y devuelve una
# lista de pares `(nombre de la clase de la capa, forma de la salida como tupla)`, por ejemplo
# `('Conv2d', (1, 6, 28, 28))`. El nombre de la clase se obtiene con
# `capa.__class__.__name__`. No hace falta calcular gradientes (`torch.no_grad()`).

# %% solution layer_shapes

# %% visible layer_shapes
small = nn.Sequential(nn.Conv2d(1, 2, kernel_size=3), nn.ReLU(), nn.Flatten())
table = layer_shapes(small, (1, 1, 5, 5))
assert isinstance(table, list) and len(table) == 3, \
    f"Debe haber un par (nombre, forma) por capa: esperaba una lista de 3, obtuve {table!r}"
assert [name for name, _ in table] == ['Conv2d', 'ReLU', 'Flatten'], \
    f"Los nombres deben ser los de las clases de las capas; obtuviste {[name for name, _ in table]}"
assert [tuple(shape) for _, shape in table] == [(1, 2, 3, 3), (1, 2, 3, 3), (1, 18)], \
    f"Formas esperadas (1, 2, 3, 3), (1, 2, 3, 3), (1, 18); obtuviste {[shape for _, shape in table]}"
assert all(type(shape) is tuple for _, shape in table), "Devuelve cada forma como tupla: tuple(X.shape)"
table = layer_shapes(small, (4, 1, 6, 7))
assert tuple(table[-1][1]) == (4, 2 * 4 * 5), \
    f"Con una entrada de forma (4, 1, 6, 7) la última salida es (4, 40); obtuviste {table[-1][1]}"
print("¡Bien! layer_shapes pasa las comprobaciones visibles.")

# %% grade layer_shapes

# %% [markdown]
# La tabla de formas de tu LeNet para una imagen de 1x28x28 (compárala con la tabla de arriba):

# %%
print(f"{'capa':<12}{'forma de la salida'}")
for name, shape in layer_shapes(lenet(), (1, 1, 28, 28)):
    print(f"{name:<12}{shape}")
print("Parámetros:", f"{sum(p.numel() for p in lenet().parameters()):,}".replace(",", "."))

# %% [markdown]
# ## 2. Las piezas del entrenamiento
#
# ### Exactitud
#
# La red devuelve un vector de 10 *logits* por imagen; la clase predicha es la de mayor
# puntaje (`argmax`). La **exactitud** (*accuracy*) es la fracción de imágenes cuya clase
# predicha coincide con la verdadera.
#
# **Ejercicio.** Completa `accuracy(logits, y)`: `logits` tiene forma `(n, q)` e `y` forma `(n,)`
# con las etiquetas; devuelve la fracción de filas cuyo `argmax` es igual a `y` (un `float` de
# Python o un tensor de 0 dimensiones).

# %% solution accuracy

# %% visible accuracy
logits = torch.tensor([[0.1, 0.9, 0.0], [2.0, 1.0, 0.5], [0.2, 0.3, 0.1], [0.0, 0.0, 5.0]])
acc = accuracy(logits, torch.tensor([1, 0, 0, 2]))
assert abs(float(acc) - 0.75) < 1e-6, f"3 de 4 filas aciertan: la exactitud es 0.75, no {float(acc)}"
assert abs(float(accuracy(logits, torch.tensor([0, 1, 0, 0])))) < 1e-6, "Si ninguna fila acierta la exactitud es 0"
assert abs(float(accuracy(logits[:1], torch.tensor([1]))) - 1.0) < 1e-6, "Con una sola fila correcta la exactitud es 1"
print("¡Bien! accuracy pasa las comprobaciones visibles.")

# %% grade accuracy

# %% [markdown]
# ### Una época de entrenamiento
#
# Entrenamos por **lotes** (*minibatches*) que entrega un `DataLoader`. Para cada lote `(X, y)`:
#
# 1. se mueven los datos al dispositivo (`X.to(device)`, `y.to(device)`);
# 2. se ponen a cero los gradientes (`optimizer.zero_grad()`);
# 3. se calculan los logits y la pérdida (`criterion(logits, y)`);
# 4. se propaga hacia atrás (`loss.backward()`) y se actualizan los pesos (`optimizer.step()`).
#
# Antes del bucle, `model.train()` pone al modelo en modo de entrenamiento (importa para capas
# como `Dropout` o `BatchNorm`, que se comportan distinto al evaluar).
#
# **Ejercicio.** Completa `train_epoch(model, loader, optimizer, criterion, device)`: recorre
# una vez el `loader` y devuelve la pareja `(pérdida media por lote, exactitud media por lote)`,
# ambas como `float` de Python (usa `loss.item()` y tu función `accuracy`).

# %% solution train_epoch

# %% visible train_epoch
torch.manual_seed(0)
X_toy = torch.randn(64, 1, 4, 4)
y_toy = torch.randint(0, 3, (64,))
toy_loader = DataLoader(TensorDataset(X_toy, y_toy), batch_size=16)
toy = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
toy.eval()
loss_fn = nn.CrossEntropyLoss()
with torch.no_grad():
    batch_losses = [loss_fn(toy(xb), yb).item() for xb, yb in toy_loader]
    batch_accs = [float((toy(xb).argmax(1) == yb).float().mean()) for xb, yb in toy_loader]
frozen = torch.optim.SGD(toy.parameters(), lr=0.0)   # lr = 0: los pesos no cambian
result = train_epoch(toy, toy_loader, frozen, loss_fn, 'cpu')
assert isinstance(result, tuple) and len(result) == 2, "train_epoch debe devolver una tupla (pérdida, exactitud)"
loss, acc = result
assert isinstance(loss, float) and isinstance(acc, float), \
    f"Devuelve floats de Python (usa .item()); obtuviste {type(loss).__name__} y {type(acc).__name__}"
assert toy.training, "train_epoch debe poner el modelo en modo de entrenamiento con model.train()"
assert abs(loss - sum(batch_losses) / 4) < 1e-4, \
    f"La pérdida debe ser la media de las pérdidas de los 4 lotes ({sum(batch_losses) / 4:.4f}); obtuviste {loss:.4f}"
assert abs(acc - sum(batch_accs) / 4) < 1e-4, \
    f"La exactitud debe ser la media de las exactitudes de los lotes ({sum(batch_accs) / 4:.4f}); obtuviste {acc:.4f}"
before = [p.detach().clone() for p in toy.parameters()]
train_epoch(toy, toy_loader, torch.optim.SGD(toy.parameters(), lr=0.5), loss_fn, 'cpu')
assert any(not torch.equal(a, p) for a, p in zip(before, toy.parameters())), \
    "Tras una época los pesos deberían cambiar: ¿llamaste a loss.backward() y optimizer.step()?"
print("¡Bien! train_epoch pasa las comprobaciones visibles.")

# %% grade train_epoch

# %% [markdown]
# ### Evaluación
#
# Para medir qué tan bien generaliza la red usamos datos que no vio al entrenar (validación o
# prueba). Al evaluar **no** se actualizan los pesos ni hacen falta gradientes:
#
# * `model.eval()` pone el modelo en modo de evaluación;
# * `with torch.no_grad():` evita construir el grafo de gradientes (más rápido, menos memoria).
#
# **Ejercicio.** Completa `evaluate(model, loader, criterion, device)`: devuelve
# `(pérdida media por lote, exactitud media por lote)` como `float`, sin optimizador.

# %% solution evaluate

# %% visible evaluate
toy = nn.Sequential(nn.Flatten(), nn.Linear(16, 3))
toy.train()
with torch.no_grad():
    batch_losses = [loss_fn(toy(xb), yb).item() for xb, yb in toy_loader]
    batch_accs = [float((toy(xb).argmax(1) == yb).float().mean()) for xb, yb in toy_loader]
before = [p.detach().clone() for p in toy.parameters()]
loss, acc = evaluate(toy, toy_loader, loss_fn, 'cpu')
assert isinstance(loss, float) and isinstance(acc, float), "evaluate debe devolver dos floats de Python"
assert not toy.training, "evaluate debe poner el modelo en modo de evaluación con model.eval()"
assert all(p.grad is None for p in toy.parameters()), \
    "evaluate no debe calcular gradientes: usa with torch.no_grad() y no llames a backward()"
assert all(torch.equal(a, p) for a, p in zip(before, toy.parameters())), "evaluate no debe cambiar los pesos"
assert abs(loss - sum(batch_losses) / 4) < 1e-4, \
    f"La pérdida debe ser la media por lote ({sum(batch_losses) / 4:.4f}); obtuviste {loss:.4f}"
assert abs(acc - sum(batch_accs) / 4) < 1e-4, \
    f"La exactitud debe ser la media por lote ({sum(batch_accs) / 4:.4f}); obtuviste {acc:.4f}"
print("¡Bien! evaluate pasa las comprobaciones visibles.")

# %% grade evaluate

# %% [markdown]
# ## 3. Entrenar LeNet
#
# Seguimos la receta del curso:
#
# * los 60.000 ejemplos de entrenamiento se dividen al azar en **70 % para entrenar y 30 % para
#   validar** (la validación nos dice, época a época, si la red generaliza);
# * lotes de **1024** imágenes, optimizador **Adam** con su tasa de aprendizaje por defecto
#   (0,001) y `nn.CrossEntropyLoss` como pérdida;
# * al final, medimos la exactitud en los **10.000 ejemplos de prueba**, que no se usaron para
#   nada durante el entrenamiento.
#
# El curso entrenó 20 épocas; aquí usamos 10 para que tarde menos (en una CPU, unos minutos por
# red; en una GPU, segundos), así que es esperable una exactitud algo menor que la del curso.
# Si la variable de entorno `CNN_QUICK` está definida, se usan dos épocas y un subconjunto
# pequeño de imágenes: sirve para probar que todo funciona, no para obtener una buena exactitud.

# %%
import os
import matplotlib.pyplot as plt
from matplotlib.ticker import MaxNLocator
from tqdm import tqdm
from torch.utils.data import random_split
from cursocnn.data import load_tensors

QUICK = bool(os.environ.get("CNN_QUICK"))
EPOCHS = 2 if QUICK else 10
BATCH_SIZE = 1024
device = torch.device('cuda' if torch.cuda.is_available() else 'cpu')
CLASS_NAMES = ['camiseta/top', 'pantalón', 'suéter', 'vestido', 'abrigo',
               'sandalia', 'camisa', 'zapatilla', 'bolso', 'bota']

X_all, y_all = load_tensors(train=True)
X_test, y_test = load_tensors(train=False)
if QUICK:
    X_all, y_all = X_all[:2048], y_all[:2048]
    X_test, y_test = X_test[:2048], y_test[:2048]
full_train = TensorDataset(X_all, y_all)
n_train = int(0.7 * len(full_train))
train_set, val_set = random_split(full_train, [n_train, len(full_train) - n_train],
                                  generator=torch.Generator().manual_seed(0))
train_loader = DataLoader(train_set, batch_size=BATCH_SIZE, shuffle=True)
val_loader = DataLoader(val_set, batch_size=BATCH_SIZE)
test_loader = DataLoader(TensorDataset(X_test, y_test), batch_size=BATCH_SIZE)
print(f"entrenamiento: {len(train_set)}, validación: {len(val_set)}, prueba: {len(X_test)} "
      f"imágenes; {EPOCHS} época(s) en {device}")

# %% [markdown]
# La función `fit` de abajo usa **tus** `train_epoch` y `evaluate`, y muestra una barra de
# progreso con `tqdm`. Guarda el historial de pérdidas y exactitudes para graficarlo, y mide
# cuántos segundos tarda cada época.
#
# **Quedarnos con el mejor modelo.** La red de la última época no siempre es la mejor: si sigue
# entrenando de más, empieza a memorizar los datos de entrenamiento y la pérdida de validación
# vuelve a subir (*sobreajuste*). Por eso, cada vez que la pérdida de validación **mejora**,
# `fit` guarda los pesos del modelo en un archivo (`torch.save(model.state_dict(), archivo)`):
# es un *checkpoint*. Al terminar, recargamos ese archivo con `model.load_state_dict(...)` y
# medimos en prueba el mejor modelo, no el último. La decisión se toma con la validación, nunca
# con la prueba: el conjunto de prueba solo se usa para el número final.

# %%
import time
import tempfile
from pathlib import Path

# Los checkpoints van a una carpeta temporal (en un proyecto propio usarías una carpeta fija,
# por ejemplo checkpoints/).
CHECKPOINTS = Path(tempfile.mkdtemp(prefix='lenet-checkpoints-'))


def fit(model, epochs=EPOCHS, checkpoint=None, loaders=None, example_shape=(1, 1, 28, 28)):
    """Entrena con Adam; si checkpoint es una ruta, guarda ahí los pesos de la época con menor
    pérdida de validación."""
    train_data, val_data = loaders or (train_loader, val_loader)
    model = model.to(device)
    with torch.no_grad():
        model(torch.zeros(example_shape, device=device))   # materializa capas "lazy", si las hay
    optimizer = torch.optim.Adam(model.parameters())
    criterion = nn.CrossEntropyLoss()
    history = {'train_loss': [], 'train_acc': [], 'val_loss': [], 'val_acc': [], 'seconds': [],
               'best_epoch': None}
    best_val_loss = float('inf')
    bar = tqdm(range(1, epochs + 1), desc='épocas')
    for epoch in bar:
        start = time.perf_counter()
        train_loss, train_acc = train_epoch(model, train_data, optimizer, criterion, device)
        val_loss, val_acc = evaluate(model, val_data, criterion, device)
        history['seconds'].append(time.perf_counter() - start)
        history['train_loss'].append(train_loss)
        history['train_acc'].append(train_acc)
        history['val_loss'].append(val_loss)
        history['val_acc'].append(val_acc)
        if val_loss < best_val_loss:
            best_val_loss, history['best_epoch'] = val_loss, epoch
            if checkpoint is not None:
                torch.save(model.state_dict(), checkpoint)
        bar.set_postfix(pérdida=f"{train_loss:.3f}", val_exactitud=f"{val_acc:.3f}",
                        seg_por_época=f"{history['seconds'][-1]:.1f}")
    return history


def print_epochs(history):
    print(f"{'época':>5} {'segundos':>9} {'pérdida':>8} {'val. pérdida':>13} {'val. exactitud':>15}")
    for i, secs in enumerate(history['seconds']):
        best = '  <- mejor' if i + 1 == history['best_epoch'] else ''
        print(f"{i + 1:>5} {secs:>9.1f} {history['train_loss'][i]:>8.3f} "
              f"{history['val_loss'][i]:>13.3f} {history['val_acc'][i]:>15.3f}{best}")
    print(f"tiempo total: {sum(history['seconds']):.1f} s")


def plot_history(history, title):
    epochs = range(1, len(history['train_loss']) + 1)
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.5))
    ax_loss.plot(epochs, history['train_loss'], 'o-', label='entrenamiento')
    ax_loss.plot(epochs, history['val_loss'], 'o--', label='validación')
    ax_loss.set_title('Pérdida')
    ax_acc.plot(epochs, history['train_acc'], 'o-', label='entrenamiento')
    ax_acc.plot(epochs, history['val_acc'], 'o--', label='validación')
    ax_acc.set_title('Exactitud')
    for ax in (ax_loss, ax_acc):
        ax.set_xlabel('época')
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.legend()
        ax.grid(alpha=0.3)
    fig.suptitle(title)
    plt.tight_layout()
    plt.show()


torch.manual_seed(0)
model = lenet()
best_lenet = CHECKPOINTS / 'lenet.pt'
history = fit(model, checkpoint=best_lenet)
print_epochs(history)
plot_history(history, 'LeNet (sigmoide + pooling promedio)')

# %% [markdown]
# Ahora recargamos los pesos de la mejor época (la de menor pérdida de validación) y medimos la
# exactitud en el conjunto de prueba. (Es la media por lote, como en `evaluate`; con lotes casi
# todos del mismo tamaño es prácticamente la exactitud global.)

# %%
criterion = nn.CrossEntropyLoss()
model.load_state_dict(torch.load(best_lenet, map_location=device))
test_loss, test_acc = evaluate(model, test_loader, criterion, device)
print(f"Mejor época según la validación: {history['best_epoch']} de {len(history['val_loss'])}")
print(f"LeNet: pérdida en prueba {test_loss:.3f}, exactitud en prueba {test_acc:.3f}")

# %% [markdown]
# Veamos algunas predicciones sobre imágenes de prueba: en verde los aciertos y en rojo los
# errores.

# %%
def show_predictions(model, n=12, ncols=6):
    model.eval()
    with torch.no_grad():
        predicted = model(X_test[:n].to(device)).argmax(dim=1).cpu()
    nrows = (n + ncols - 1) // ncols
    fig, axes = plt.subplots(nrows, ncols, figsize=(2 * ncols, 2.4 * nrows))
    for i, ax in enumerate(axes.flat):
        ax.axis('off')
        if i >= n:
            continue
        ax.imshow(X_test[i, 0], cmap='gray')
        ok = predicted[i] == y_test[i]
        ax.set_title(f"pred.: {CLASS_NAMES[predicted[i]]}\nreal: {CLASS_NAMES[y_test[i]]}",
                     fontsize=9, color='green' if ok else 'red')
    plt.tight_layout()
    plt.show()


show_predictions(model)

# %% [markdown]
# ## 4. Una LeNet más moderna
#
# LeNet es de una época en que todavía no se usaban dos ideas que hoy son habituales:
#
# * **ReLU** en lugar de sigmoide: la sigmoide se satura (su derivada es casi cero para entradas
#   grandes en valor absoluto), lo que frena el aprendizaje; la ReLU no se satura para entradas
#   positivas y es más barata de calcular;
# * **pooling máximo** en lugar de promedio: conserva la respuesta más fuerte de cada ventana
#   (como vimos en la tarea 4).
#
# Este era el ejercicio "mejorar LeNet" del curso. **Ejercicio.** Completa `lenet_modern()`:
# la misma arquitectura (mismas capas, mismas formas, mismos 61.706 parámetros, inicialización
# de Xavier), pero con `nn.ReLU` en lugar de `nn.Sigmoid` y `nn.MaxPool2d` en lugar de
# `nn.AvgPool2d`.
#
# El calificador entrena tu `lenet_modern()` (y tu `lenet()`) con su propia receta y mide la
# exactitud en el conjunto de prueba: la red debe superar un umbral.

# %% solution lenet_modern

# %% visible lenet_modern
net = lenet_modern()
assert isinstance(net, nn.Sequential), "lenet_modern() debe devolver un nn.Sequential"
out = net(torch.zeros(2, 1, 28, 28))
assert tuple(out.shape) == (2, 10), f"Para un lote de 2 imágenes la salida debe ser (2, 10), no {tuple(out.shape)}"
n_params = sum(p.numel() for p in net.parameters())
assert n_params == 61706, f"La LeNet moderna tiene los mismos 61.706 parámetros que LeNet; la tuya tiene {n_params}"
kinds = {type(m).__name__ for m in net}
assert {'ReLU', 'MaxPool2d'} <= kinds, "lenet_modern usa activaciones ReLU y pooling máximo (MaxPool2d)"
assert not kinds & {'Sigmoid', 'AvgPool2d'}, "En lenet_modern no deben quedar Sigmoid ni AvgPool2d"
assert not any(isinstance(m, (nn.Softmax, nn.LogSoftmax)) for m in net.modules()), \
    "No pongas Softmax en el modelo: la aplica nn.CrossEntropyLoss"
shapes, X = [], torch.zeros(1, 1, 28, 28)
for layer in net:
    X = layer(X)
    if not shapes or shapes[-1] != tuple(X.shape[1:]):
        shapes.append(tuple(X.shape[1:]))
expected = [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,)]
assert shapes == expected, f"Las formas por capa deberían ser {expected}; las tuyas son {shapes}"
print("¡Bien! lenet_modern pasa las comprobaciones visibles.")

# %% grade lenet_modern

# %% [markdown]
# Entrenemos la versión moderna con exactamente la misma receta y comparemos.

# %%
torch.manual_seed(0)
model_modern = lenet_modern()
best_modern = CHECKPOINTS / 'lenet_modern.pt'
history_modern = fit(model_modern, checkpoint=best_modern)
print_epochs(history_modern)
plot_history(history_modern, 'LeNet moderna (ReLU + pooling máximo)')
model_modern.load_state_dict(torch.load(best_modern, map_location=device))
_, test_acc_modern = evaluate(model_modern, test_loader, criterion, device)
print(f"Exactitud en prueba, LeNet:         {test_acc:.3f}")
print(f"Exactitud en prueba, LeNet moderna: {test_acc_modern:.3f}")
show_predictions(model_modern)

# %% [markdown]
# Como referencia, los resultados publicados:
#
# | red y receta | exactitud en prueba |
# |---|---|
# | curso: LeNet, Adam, lotes de 1024, 20 épocas | 0,747 |
# | curso: LeNet mejorada (ReLU + pooling máximo), misma receta | 0,860 |
# | d2l: LeNet, SGD con tasa 0,9, lotes de 256, 10 épocas | 0,776 – 0,779 |
#
# Tus números no tienen por qué coincidir exactamente (dependen de la inicialización aleatoria,
# del orden de los lotes y del número de épocas), pero la versión moderna debería quedar
# claramente por encima. Con `CNN_QUICK` (dos épocas, pocas imágenes) la LeNet con sigmoides
# casi no aprende todavía: las sigmoides necesitan más pasos para "arrancar".

# %% [markdown]
# ### El entrenamiento rápido del calificador
#
# El módulo `cursocnn.training` trae el bucle que usa el calificador para comprobar la
# exactitud de tus redes. Es más rápido que un `DataLoader`: pone todo el conjunto como un solo
# tensor en el dispositivo y recorta los lotes de él. Puedes usarlo para probar tus redes con la
# receta del calificador (en CPU, unas 4 épocas por red; con `CNN_QUICK`, una época sobre una
# parte de los datos).

# %%
from cursocnn.training import fit as fast_fit, recipe_for

X_full, y_full = load_tensors(train=True)
X_eval, y_eval = load_tensors(train=False)
if QUICK:
    X_full, y_full, X_eval, y_eval = X_full[:4096], y_full[:4096], X_eval[:2048], y_eval[:2048]
print("Receta del calificador en este dispositivo:", recipe_for(device))
torch.manual_seed(0)
fast_history = fast_fit(lenet_modern(), (X_full, y_full), (X_eval, y_eval), device=device,
                        epochs=1 if QUICK else None)
print(f"LeNet moderna, exactitud en prueba tras {len(fast_history['test_acc'])} época(s): "
      f"{fast_history['test_acc'][-1]:.3f}")

# %% [markdown]
# ## 5. Ejercicios de la unidad: una LeNet más ancha y LeNet en color
#
# ### Una LeNet más ancha
#
# ¿Qué pasa si le damos a la red más capacidad? Un ejercicio de la unidad propone **ensanchar**
# la LeNet moderna: más canales en las convoluciones y más unidades en las capas densas, con la
# misma estructura (mismos kernels, mismo relleno, mismo pooling, ReLU, Xavier).
#
# | capa | LeNet moderna | LeNet ancha |
# |---|---|---|
# | primera convolución (kernel 5x5, relleno 2) | 6 canales | **20** canales |
# | segunda convolución (kernel 5x5) | 16 canales | **50** canales |
# | primera capa lineal | 120 unidades | **200** unidades |
# | segunda capa lineal | 84 unidades | **80** unidades |
# | capa de salida | 10 | 10 |
#
# **Ejercicio.** Completa `lenet_wide()`. Piensa antes: ¿cuántas entradas recibe ahora la
# primera capa lineal? La red tiene **292.660 parámetros**, casi cinco veces los de LeNet.

# %% solution lenet_wide

# %% visible lenet_wide
net = lenet_wide()
assert isinstance(net, nn.Sequential), "lenet_wide() debe devolver un nn.Sequential"
out = net(torch.zeros(2, 1, 28, 28))
assert tuple(out.shape) == (2, 10), f"Para un lote de 2 imágenes la salida debe ser (2, 10), no {tuple(out.shape)}"
kinds = {type(m).__name__ for m in net}
assert {'ReLU', 'MaxPool2d'} <= kinds and not kinds & {'Sigmoid', 'AvgPool2d'}, \
    "lenet_wide se basa en lenet_modern: ReLU y MaxPool2d"
shapes, X = [], torch.zeros(1, 1, 28, 28)
for layer in net:
    X = layer(X)
    if not shapes or shapes[-1] != tuple(X.shape[1:]):
        shapes.append(tuple(X.shape[1:]))
expected = [(20, 28, 28), (20, 14, 14), (50, 10, 10), (50, 5, 5), (1250,), (200,), (80,), (10,)]
assert shapes == expected, f"Las formas por capa deberían ser {expected}; las tuyas son {shapes}"
n_params = sum(p.numel() for p in net.parameters())
assert n_params == 292660, f"La LeNet ancha tiene 292.660 parámetros; la tuya tiene {n_params}"
print("¡Bien! lenet_wide pasa las comprobaciones visibles.")

# %% grade lenet_wide

# %% [markdown]
# Entrenémosla con la misma receta (tarda más: cada época hace unas cinco veces más cuentas) y
# comparemos con la LeNet moderna. ¿Mejora la exactitud en prueba? ¿Se separan más las curvas
# de entrenamiento y de validación? Una red con más parámetros puede aprender más, pero también
# memorizar más: por eso seguimos quedándonos con la mejor época según la validación.

# %%
torch.manual_seed(0)
model_wide = lenet_wide()
best_wide = CHECKPOINTS / 'lenet_wide.pt'
history_wide = fit(model_wide, checkpoint=best_wide)
print_epochs(history_wide)
plot_history(history_wide, 'LeNet ancha (20 y 50 canales, 200 y 80 unidades)')
model_wide.load_state_dict(torch.load(best_wide, map_location=device))
_, test_acc_wide = evaluate(model_wide, test_loader, criterion, device)
print(f"Exactitud en prueba, LeNet moderna: {test_acc_modern:.3f}")
print(f"Exactitud en prueba, LeNet ancha:   {test_acc_wide:.3f}")

# %% [markdown]
# ### LeNet para CIFAR-10
#
# CIFAR-10 tiene imágenes **en color** (3 canales: rojo, verde y azul) de **32x32** píxeles, de
# 10 clases (avión, automóvil, pájaro, gato, ciervo, perro, rana, caballo, barco y camión). El
# último ejercicio de la unidad adapta la LeNet moderna a esas imágenes:
#
# * la primera convolución recibe **3 canales** de entrada;
# * como la imagen ya mide 32x32, la primera convolución **no usa relleno**: con un kernel de
#   5x5, 32 - 5 + 1 = 28, así que su salida vuelve a ser de 6x28x28;
# * desde ahí todo es igual que en la LeNet moderna.
#
# **Ejercicio.** Completa `lenet_rgb()`. Antes, predice: ¿qué forma tiene la salida de cada
# capa para una imagen de 3x32x32? ¿Cambia la primera capa lineal? La red tiene **62.006
# parámetros**: ¿de dónde salen los 300 de diferencia con los 61.706 de LeNet? (Pista: solo la
# primera convolución ve los canales de entrada.)

# %% solution lenet_rgb

# %% visible lenet_rgb
net = lenet_rgb()
assert isinstance(net, nn.Sequential), "lenet_rgb() debe devolver un nn.Sequential"
convs = [m for m in net.modules() if isinstance(m, nn.Conv2d)]
assert len(convs) == 2, f"lenet_rgb tiene dos convoluciones, como lenet_modern; la tuya tiene {len(convs)}"
assert convs[0].in_channels in (3, 0), \
    f"La primera convolución recibe 3 canales (imágenes en color), no {convs[0].in_channels}"  # 0: capa lazy
assert convs[0].padding in ((0, 0), 'valid'), \
    f"La primera convolución de lenet_rgb no lleva relleno (la tuya tiene padding={convs[0].padding})"
out = net(torch.zeros(2, 3, 32, 32))
assert tuple(out.shape) == (2, 10), f"Para un lote de 2 imágenes la salida debe ser (2, 10), no {tuple(out.shape)}"
shapes, X = [], torch.zeros(1, 3, 32, 32)
for layer in net:
    X = layer(X)
    if not shapes or shapes[-1] != tuple(X.shape[1:]):
        shapes.append(tuple(X.shape[1:]))
expected = [(6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 5, 5), (400,), (120,), (84,), (10,)]
assert shapes == expected, f"Las formas por capa deberían ser {expected}; las tuyas son {shapes}"
n_params = sum(p.numel() for p in net.parameters())
assert n_params == 62006, f"lenet_rgb tiene 62.006 parámetros; la tuya tiene {n_params}"
print("¡Bien! lenet_rgb pasa las comprobaciones visibles.")

# %% grade lenet_rgb

# %% [markdown]
# La tabla de formas de tu `lenet_rgb` (compárala con tu predicción):

# %%
for name, shape in layer_shapes(lenet_rgb(), (1, 3, 32, 32)):
    print(f"{name:<12}{shape}")
print("Parámetros:", f"{sum(p.numel() for p in lenet_rgb().parameters()):,}".replace(",", "."))

# %% [markdown]
# **Entrenar en CIFAR-10.** Este curso no trae CIFAR-10 (son unos 170 MB). El módulo
# `cursocnn.cifar10` lo busca sin conexión, como `cursocnn.data` busca Fashion-MNIST: en la
# carpeta que indiques con la variable de entorno `CIFAR10_DIR`, en la caché del curso
# (`~/.cache/cursocnn/cifar-10`) o en `./data`. Si tienes conexión y quieres descargarlo, define
# `CURSOCNN_DOWNLOAD=1` (o llama a `load_cifar10(download=True)`). Si no lo encuentra, la celda
# lo dice y no entrena.
#
# Con la misma receta (Adam, lotes de 1024, 70 % / 30 %, el mejor modelo según la validación)
# LeNet queda bastante por debajo de lo que logra en Fashion-MNIST: las fotos en color de
# CIFAR-10 son mucho más variadas, y una red tan pequeña se queda corta.

# %%
from cursocnn.cifar10 import CLASSES as CIFAR_CLASSES, Cifar10NotFound, load_cifar10

try:
    Xc_all, yc_all = load_cifar10(train=True)
    Xc_test, yc_test = load_cifar10(train=False)
except Cifar10NotFound as missing:
    print("No se encontró CIFAR-10: se salta el entrenamiento.\n")
    print(missing)
else:
    if QUICK:
        Xc_all, yc_all, Xc_test, yc_test = Xc_all[:2048], yc_all[:2048], Xc_test[:1024], yc_test[:1024]
    cifar_full = TensorDataset(Xc_all, yc_all)
    nc_train = int(0.7 * len(cifar_full))
    cifar_train, cifar_val = random_split(cifar_full, [nc_train, len(cifar_full) - nc_train],
                                          generator=torch.Generator().manual_seed(0))
    cifar_loaders = (DataLoader(cifar_train, batch_size=BATCH_SIZE, shuffle=True),
                     DataLoader(cifar_val, batch_size=BATCH_SIZE))
    torch.manual_seed(0)
    model_rgb = lenet_rgb()
    best_rgb = CHECKPOINTS / 'lenet_rgb.pt'
    history_rgb = fit(model_rgb, checkpoint=best_rgb, loaders=cifar_loaders,
                      example_shape=(1, 3, 32, 32))
    print_epochs(history_rgb)
    plot_history(history_rgb, 'LeNet en color sobre CIFAR-10')
    model_rgb.load_state_dict(torch.load(best_rgb, map_location=device))
    _, test_acc_rgb = evaluate(model_rgb, DataLoader(TensorDataset(Xc_test, yc_test), batch_size=BATCH_SIZE),
                               criterion, device)
    print(f"LeNet en color, exactitud en prueba de CIFAR-10: {test_acc_rgb:.3f} "
          f"(al azar sería 0.100; clases: {', '.join(CIFAR_CLASSES)})")
