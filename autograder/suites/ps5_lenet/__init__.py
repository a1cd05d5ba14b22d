"""ps5_lenet: this folder is the whole assignment on the grader's side (autograder/grading/registry.py):
its declaration (here), its hidden suite (test_ps5_lenet*.py), the misconceptions it names
(hints.py)."""
from autograder.grading.registry import Assignment, Graded
from autograder.text.i18n import N_

ASSIGNMENT = Assignment(
    id="ps5_lenet",
    title=N_("LeNet-5 sobre Fashion-MNIST"),
    graded=(
        Graded("lenet", 4),
        Graded("lenet_modern", 5),
        Graded("layer_shapes", 2),
        Graded("accuracy", 2),
        Graded("train_epoch", 5),
        Graded("evaluate", 4),
        Graded("lenet_wide", 1),
        Graded("lenet_rgb", 2),
    ),
    # trains two LeNets on Fashion-MNIST (cached per model; not charged to the student)
    budget=240.0,
    needs_data=True,
    trains=True,
    # no mutation check: its networks and training loops are checked by tests/corpus/lenet_mutants
    mutation_check=False,
)
