"""The ps5 structural suite's declarations: lenet()'s and lenet_modern()'s test pairs come from one
helper (autograder/suites/ps5_lenet/test_ps5_lenet.py, lenet_tests), yet run in the order written, each
declaring its object, points and title once; with the training tests they total ps5's points."""
from autograder.grading import scoring
from autograder.mutation import trusted_run
from autograder.suites.marker import graded_test
from autograder.suites.ps5_lenet import test_ps5_lenet_training as training_suite


def test_declared_in_order_with_the_assignments_points():
    tests = trusted_run.suite_tests("ps5_lenet")
    assert [obj for _, obj, _, _ in tests] == [
        "lenet", "lenet", "lenet_modern", "lenet_modern", "lenet_wide", "lenet_rgb", "lenet_rgb",
        "layer_shapes", "accuracy", "train_epoch", "train_epoch", "evaluate", "evaluate"]
    assert [name for name, *_ in tests][:4] == [
        "test_lenet_structure", "test_lenet_shapes_and_params", "test_lenet_modern_structure",
        "test_lenet_modern_shapes_and_params"]
    totals = {}
    trained = [graded_test(fn) for name, fn in vars(training_suite).items() if name.startswith("test_")]
    for declared in [graded_test(fn) for *_, fn in tests] + trained:
        assert not declared.title.startswith(declared.object)
        totals[declared.object] = totals.get(declared.object, 0) + declared.points
    assert totals == scoring.POINTS["ps5_lenet"]
    names = {graded_test(fn).name("en") for *_, fn in tests}
    assert "lenet_modern: layers in order, with ReLU and MaxPool2d" in names
