"""autograder/sandboxed/worker/lenet_contract.py, the one statement of ps5's LeNets: its derived shapes and
parameter counts are the course's figures, the reference solution builds exactly these layers,
and the training check and the suite read their architecture from it."""
import pytest
import torch

from autograder.sandboxed.worker import lenet_contract as contract
from autograder.sandboxed.worker.probes import PROBES
from autograder.training import check as tc
from autograder.training import contract as training_contract
from reference import ps5_lenet as ref

# COURSE.md section 13 and the ps5_lenet contract, as written there
COURSE_LENET_SHAPES = [(6, 28, 28), (6, 28, 28), (6, 14, 14), (16, 10, 10), (16, 10, 10),
                       (16, 5, 5), (400,), (120,), (120,), (84,), (84,), (10,)]
COURSE_PARAMS = {"lenet": 61_706, "lenet_modern": 61_706, "lenet_wide": 292_660,
                 "lenet_rgb": 62_006}


def test_shapes_and_parameter_counts_are_the_course_figures():
    assert set(contract.LENETS) == set(COURSE_PARAMS)
    for name, params in COURSE_PARAMS.items():
        assert contract.LENETS[name].n_params == params, name
    for name in ("lenet", "lenet_modern"):
        net = contract.LENETS[name]
        assert net.input_shape == (1, 1, 28, 28)
        assert [shape[1:] for shape in net.shapes()] == COURSE_LENET_SHAPES
    # the exercises: 1x28x28 in -> 10 logits (wide), 3x32x32 in, 6x28x28 after an unpadded conv
    assert contract.LENETS["lenet_wide"].shapes()[-1] == (1, 10)
    rgb = contract.LENETS["lenet_rgb"]
    assert rgb.input_shape == (1, 3, 32, 32) and rgb.shapes()[0] == (1, 6, 28, 28)
    assert rgb.layers[0][1]["padding"] == 0


def test_kinds_follow_the_course():
    conv_act_pool = ["Conv2d", "{act}", "{pool}"] * 2
    head = ["Flatten", "Linear", "{act}", "Linear", "{act}", "Linear"]
    for name, act, pool in (("lenet", "Sigmoid", "AvgPool2d"), ("lenet_modern", "ReLU", "MaxPool2d"),
                            ("lenet_wide", "ReLU", "MaxPool2d"), ("lenet_rgb", "ReLU", "MaxPool2d")):
        want = [k.format(act=act, pool=pool) for k in conv_act_pool + head]
        assert contract.LENETS[name].kinds == want, name


@pytest.mark.parametrize("name", sorted(COURSE_PARAMS))
def test_the_reference_builds_the_contract(name):
    """Same classes, same course-level hyperparameters, same shape after every layer."""
    net = contract.LENETS[name]
    desc = PROBES["describe_model"](vars(ref), name, net.input_shape)
    described = [(layer["type"], contract.course_fields(layer["type"], layer["hparams"]))
                 for layer in desc["layers"]]
    assert described == [(kind, contract.course_fields(kind, hp)) for kind, hp in net.layers]
    shapes = ref.layer_shapes(getattr(ref, name)(), net.input_shape)
    assert [(kind, tuple(shape)) for kind, shape in shapes] == list(zip(net.kinds, net.shapes()))
    assert sum(p.numel() for p in getattr(ref, name)().parameters()) == net.n_params


def test_changed_builds_the_common_mistakes_the_hints_describe():
    lenet = contract.LENETS["lenet"]
    assert lenet.changed(0, padding=0).shapes()[0] == (1, 6, 24, 24)        # no padding
    kept = contract.LENETS["lenet_rgb"].changed(0, padding=2)               # modern's padding
    assert kept.shapes()[0] == (1, 6, 32, 32)
    assert lenet.layers[0][1]["padding"] == 2, "changed() must not alter the contract"
    conv = torch.nn.Conv2d(1, 6, 5)
    assert tuple(conv(torch.zeros(lenet.input_shape)).shape) == lenet.changed(0, padding=0).shapes()[0]


def test_course_fields_normalise_the_ways_of_writing_a_layer():
    assert contract.course_fields("Conv2d", {"in_channels": 1, "out_channels": 6, "kernel_size": [5, 5],
                                             "padding": 2, "stride": 1}) == \
        {"in": 1, "out": 6, "kernel": (5, 5), "padding": (2, 2), "stride": (1, 1)}
    for stride in (None, 2, (2, 2)):        # a pooling's stride defaults to its window
        assert contract.course_fields("MaxPool2d", {"kernel_size": 2, "stride": stride}) == \
            {"kernel": (2, 2), "stride": (2, 2), "padding": (0, 0)}
    assert contract.course_fields("Conv2d", {"padding": "same"})["padding"] == "same"
    assert contract.course_fields("ReLU", {"inplace": True}) == {}


def test_the_training_check_compares_with_the_contract():
    for name in training_contract.MODELS:
        assert [kind for kind, _ in training_contract.EXPECTED[name]] == contract.LENETS[name].kinds
        layers = training_contract.normalised_layers(PROBES["describe_model"](vars(ref), name), name)
        training_contract.compare_with_contract(name, layers)       # the reference raises nothing
        assert [hp for _, hp, _, _ in layers] == [hp for _, hp in training_contract.EXPECTED[name]]


def test_hints_take_their_numbers_from_the_contract(monkeypatch):
    """Change the contract's first convolution and the training check's hint follows."""
    monkeypatch.setattr(tc.training, "fit", lambda *a, **k: pytest.fail("a rejected model trained"))
    desc = PROBES["describe_model"](vars(ref), "lenet")
    desc["layers"][0]["hparams"]["padding"] = [0, 0]
    rejected = tc.check_description("lenet", desc, device="cpu")
    assert "padding=2" in rejected.message("es") and "24x24" in rejected.message("es")
    assert "a 5x5 kernel without padding gives 24x24" in rejected.message("en")
    wider = contract.LENETS["lenet"].changed(0, kernel_size=3, padding=1)
    monkeypatch.setitem(contract.LENETS, "lenet", wider)
    hint = training_contract._param_hint("lenet", 1, "Conv2d", "padding", (0, 0), (1, 1)).render("es")
    assert "padding=1" in hint and "3x3" in hint and "26x26" in hint


def test_the_suite_hints_quote_the_contract(monkeypatch):
    from autograder.suites.ps5_lenet import hints
    from autograder.text.feedback import misconception_text

    assert "padding=2" in misconception_text("missing_padding", "es")
    assert "24x24 en lugar de 28x28" in misconception_text("missing_padding", "es")
    assert "50·5·5 = 1250" in misconception_text("wide_sizes", "es")
    assert "takes 3 channels" in misconception_text("rgb_in_channels", "en")
    wider = contract.LENETS["lenet_wide"]
    wider = contract.Net(wider.name, wider.input_shape, wider.changed(3, out_channels=40).layers)
    monkeypatch.setitem(contract.LENETS, "lenet_wide", wider)
    assert hints._fields()["wide_sizes"]["conv2"] == 40
