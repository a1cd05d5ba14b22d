"""Points per graded object (fixed and documented in README.md). The hidden suites' tests for an
object add up to exactly its points here (tests/test_scoring.py checks it); the nbgrader grade
cell of each object is worth the same points."""

POINTS = {
    "ps1_corr2d": {"corr2d": 10, "conv2d_strict": 4, "learn_kernel": 6},
    "ps2_conv2d": {"Conv2D": 8, "conv_output_shape": 4, "corr2d_pad_stride": 8},
    "ps3_channels": {"corr2d_multi_in": 6, "corr2d_multi_in_out": 6, "corr2d_multi_in_out_1x1": 8},
    "ps4_pooling": {"pool2d": 8, "pool2d_pad_stride": 12},
    "ps5_lenet": {"lenet": 4, "lenet_modern": 5, "layer_shapes": 2, "accuracy": 2,
                  "train_epoch": 5, "evaluate": 4, "lenet_wide": 1, "lenet_rgb": 2},
}

ASSIGNMENTS = tuple(POINTS)


def max_score(assignment: str) -> int:
    return sum(POINTS[assignment].values())
