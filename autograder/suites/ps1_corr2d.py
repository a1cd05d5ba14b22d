"""Declaration of ps1_corr2d (autograder/grading/registry.py); its hidden suite is test_ps1_corr2d*.py."""
from autograder.text.i18n import N_
from autograder.grading.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps1_corr2d",
    title=N_("La correlación cruzada"),
    graded=(
        Graded("corr2d", 10),
        Graded("conv2d_strict", 4),
        Graded("learn_kernel", 6),
    ),
)
