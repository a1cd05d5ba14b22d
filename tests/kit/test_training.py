"""cursocnn.training: the fast loop really trains, its recipes and device handling."""
import pytest
import torch
from torch import nn

from cursocnn import data, training
from reference import ps5_lenet as ref


@pytest.fixture(scope="module")
def small():
    X, y = data.load_tensors(train=True)
    Xt, yt = data.load_tensors(train=False)
    return (X[:2000].clone(), y[:2000].clone()), (Xt[:1000].clone(), yt[:1000].clone())


def _fit(small, device="cpu", seed=0, **kw):
    torch.manual_seed(seed)
    model = training.xavier_init(ref.lenet_modern())
    recipe = training.Recipe("test", epochs=3, batch_size=64, lr=3e-3)
    return model, training.fit(model, small[0], small[1], recipe=recipe, device=device, seed=seed,
                               progress=False, **kw)


def test_fast_loop_really_trains_on_cpu(small):
    model, h = _fit(small)
    assert len(h["train_loss"]) == len(h["train_acc"]) == len(h["test_acc"]) == 3
    assert h["train_loss"][-1] < h["train_loss"][0] < 2.31  # below ln(10) and decreasing
    assert h["train_acc"][-1] > h["train_acc"][0]
    assert h["test_acc"][-1] > 0.6  # chance is 0.1
    assert h["device"] == "cpu" and h["recipe"] == "test"
    assert all(s > 0 for s in h["seconds"])
    # the reported test accuracy is the model's accuracy after training
    acc = training.evaluate_accuracy(model, *small[1], device="cpu")
    assert acc == pytest.approx(h["test_acc"][-1])
    assert model.training  # evaluate_accuracy restores the mode


@pytest.mark.slow
def test_same_seed_same_run(small):
    _, a = _fit(small, seed=3)
    _, b = _fit(small, seed=3)
    assert a["train_loss"] == pytest.approx(b["train_loss"], rel=1e-4)
    _, c = _fit(small, seed=4)
    assert c["train_loss"] != pytest.approx(a["train_loss"], rel=1e-4)


def test_overrides_callback_and_no_test_set(small):
    torch.manual_seed(0)
    model = ref.lenet()
    seen = []

    def stop_after_two(epoch, history):
        seen.append(epoch)
        return epoch == 1

    h = training.fit(model, small[0], recipe=training.CPU_RECIPE, epochs=5, batch_size=500,
                     device="cpu", progress=False, callback=stop_after_two)
    assert seen == [0, 1] and len(h["train_loss"]) == 2 and h["test_acc"] == [None, None]


def test_lazy_model_is_materialised_before_the_optimizer(small):
    model = nn.Sequential(nn.Flatten(), nn.LazyLinear(10))
    h = training.fit(model, small[0], small[1], epochs=2, batch_size=100, lr=1e-2, device="cpu",
                     progress=False)
    assert h["test_acc"][-1] > 0.5
    assert model[1].weight.shape == (10, 784)


def test_progress_bar_in_spanish_on_stdout(small, capfd):
    """The bar and the epoch lines go to stdout: Jupyter paints stderr red (an "error" to a
    beginner)."""
    model = nn.Sequential(nn.Flatten(), nn.Linear(784, 10))
    training.fit(model, small[0], small[1], epochs=1, batch_size=500, device="cpu", progress=True)
    out, err = capfd.readouterr()
    assert "época 1/1" in out and "exactitud" in out and "pérdida" in out
    assert err == ""


def test_evaluate_accuracy_counts_argmax_matches():
    model = nn.Identity()
    X = torch.eye(10)[[0, 1, 2, 3]]
    y = torch.tensor([0, 1, 9, 3])
    assert training.evaluate_accuracy(model, X, y, device="cpu", batch_size=3) == 0.75


def test_devices_recipes_and_optimizers():
    assert training.resolve_device("cpu") == torch.device("cpu")
    auto = training.resolve_device("auto")
    assert auto.type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert training.recipe_for("cpu") is training.CPU_RECIPE
    assert training.GPU_RECIPE.epochs > training.CPU_RECIPE.epochs
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA"):
            training.resolve_device("cuda")
    p = [nn.Parameter(torch.zeros(3))]
    opt = training.make_optimizer(p, training.CPU_RECIPE, "cpu")
    assert isinstance(opt, torch.optim.Adam)
    group = opt.param_groups[0]
    assert group["fused"] or group["foreach"]
    sgd = training.make_optimizer(p, training.Recipe("s", 1, 8, 0.1, optimizer="sgd"), "cpu")
    assert isinstance(sgd, torch.optim.SGD) and sgd.param_groups[0]["momentum"] == 0.9
    with pytest.raises(ValueError):
        training.make_optimizer(p, training.Recipe("x", 1, 8, 0.1, optimizer="lbfgs"), "cpu")


def test_xavier_init_touches_weights_only():
    torch.manual_seed(0)
    net = ref.lenet()
    bias_before = net[0].bias.clone()
    weight_before = net[0].weight.clone()
    training.xavier_init(net)
    assert torch.equal(net[0].bias, bias_before) and not torch.equal(net[0].weight, weight_before)
    bound = (6 / (1 * 25 + 6 * 25)) ** 0.5
    assert float(net[0].weight.detach().abs().max()) <= bound


@pytest.mark.gpu
def test_fast_loop_trains_on_gpu_and_restores_backends(small):
    saved = torch.backends.cudnn.benchmark
    model, h = _fit(small, device="cuda")
    assert h["device"].startswith("cuda")
    assert h["train_loss"][-1] < h["train_loss"][0] and h["test_acc"][-1] > 0.6
    assert next(model.parameters()).is_cuda
    assert torch.backends.cudnn.benchmark == saved

