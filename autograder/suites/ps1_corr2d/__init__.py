"""ps1_corr2d: this folder is the whole assignment on the grader's side (autograder/grading/registry.py):
its declaration (here), its hidden suite (test_ps1_corr2d*.py), the misconceptions it names
(hints.py) and the random calls of the mutation check (inputs.py)."""
from autograder.grading.registry import Assignment, Graded
from autograder.text.i18n import N_

ASSIGNMENT = Assignment(
    id="ps1_corr2d",
    title=N_("La correlación cruzada"),
    graded=(
        Graded("corr2d", 10, guarded=True),
        Graded("conv2d_strict", 4),
        Graded("learn_kernel", 6),
    ),
)
