"""Declaration of ps3_channels (autograder/grading/registry.py); its hidden suite is test_ps3_channels*.py."""
from autograder.text.i18n import N_
from autograder.grading.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps3_channels",
    title=N_("Varios canales de entrada y de salida"),
    graded=(
        Graded("corr2d_multi_in", 6),
        Graded("corr2d_multi_in_out", 6),
        Graded("corr2d_multi_in_out_1x1", 8),
    ),
)
