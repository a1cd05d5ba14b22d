"""Declaration of ps4_pooling (autograder/grading/registry.py); its hidden suite is test_ps4_pooling*.py."""
from autograder.text.i18n import N_
from autograder.grading.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps4_pooling",
    title=N_("Pooling (agrupamiento)"),
    graded=(
        Graded("pool2d", 8),
        Graded("pool2d_pad_stride", 12),
    ),
)
