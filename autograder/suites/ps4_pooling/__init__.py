"""ps4_pooling: this folder is the whole assignment on the grader's side (autograder/grading/registry.py):
its declaration (here), its hidden suite (test_ps4_pooling*.py), the misconceptions it names
(hints.py) and the random calls of the mutation check (inputs.py)."""
from autograder.grading.registry import Assignment, Graded
from autograder.text.i18n import N_

ASSIGNMENT = Assignment(
    id="ps4_pooling",
    title=N_("Pooling (agrupamiento)"),
    graded=(
        Graded("pool2d", 8, guarded=True),
        Graded("pool2d_pad_stride", 12, guarded=True),
    ),
)
