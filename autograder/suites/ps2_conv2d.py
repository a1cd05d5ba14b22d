"""Declaration of ps2_conv2d (autograder/registry.py); its hidden suite is test_ps2_conv2d*.py."""
from autograder.i18n import N_
from autograder.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps2_conv2d",
    title=N_("Capas convolucionales, relleno y paso"),
    graded=(
        Graded("Conv2D", 8),
        Graded("conv_output_shape", 4),
        Graded("corr2d_pad_stride", 8),
    ),
)
