"""Declaration of ps1_corr2d (autograder/registry.py); its hidden suite is test_ps1_corr2d*.py."""
from autograder.i18n import N_
from autograder.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps1_corr2d",
    title=N_("La correlación cruzada"),
    graded=(
        Graded("corr2d", 10),
        Graded("conv2d_strict", 4),
        Graded("learn_kernel", 6),
    ),
)
