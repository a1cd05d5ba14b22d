"""ps3_channels: this folder is the whole assignment on the grader's side (autograder/grading/registry.py):
its declaration (here), its hidden suite (test_ps3_channels*.py), the misconceptions it names
(hints.py) and the random calls of the mutation check (inputs.py)."""
from autograder.grading.registry import Assignment, Graded
from autograder.text.i18n import N_

ASSIGNMENT = Assignment(
    id="ps3_channels",
    title=N_("Varios canales de entrada y de salida"),
    graded=(
        Graded("corr2d_multi_in", 6, guarded=True),
        Graded("corr2d_multi_in_out", 6, guarded=True),
        Graded("corr2d_multi_in_out_1x1", 8, guarded=True),
    ),
)
