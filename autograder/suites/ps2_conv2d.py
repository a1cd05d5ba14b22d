"""Declaration of ps2_conv2d (autograder/grading/registry.py); its hidden suite is test_ps2_conv2d*.py."""
from autograder.text.i18n import N_
from autograder.grading.registry import Assignment, Graded

ASSIGNMENT = Assignment(
    id="ps2_conv2d",
    title=N_("Capas convolucionales, relleno y paso"),
    graded=(
        Graded("Conv2D", 8),
        Graded("conv_output_shape", 4),
        Graded("corr2d_pad_stride", 8),
    ),
)
