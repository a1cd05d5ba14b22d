"""Reference solutions, one module per assignment (names fixed by ../shared/COURSE.md).

The code between `### BEGIN SOLUTION` and `### END SOLUTION` is what nbgrader removes from the
students' notebooks; assignments/build_notebooks.py copies these functions into the notebooks,
so this package is the single source of the solutions.
"""
from . import ps1_corr2d, ps2_conv2d, ps3_channels, ps4_pooling, ps5_lenet

MODULES = {
    "ps1_corr2d": ps1_corr2d,
    "ps2_conv2d": ps2_conv2d,
    "ps3_channels": ps3_channels,
    "ps4_pooling": ps4_pooling,
    "ps5_lenet": ps5_lenet,
}
