"""ps2_conv2d: this folder is the whole assignment on the grader's side (autograder/grading/registry.py):
its declaration (here), its hidden suite (test_ps2_conv2d*.py), the misconceptions it names
(hints.py) and the random calls of the mutation check (inputs.py)."""
from autograder.grading.registry import Assignment, Graded
from autograder.text.i18n import N_

ASSIGNMENT = Assignment(
    id="ps2_conv2d",
    title=N_("Capas convolucionales, relleno y paso"),
    graded=(
        Graded("Conv2D", 8),
        Graded("conv_output_shape", 4),
        Graded("corr2d_pad_stride", 8, guarded=True),
    ),
)
