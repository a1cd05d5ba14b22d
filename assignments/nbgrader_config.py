"""nbgrader configuration of the course directory (run nbgrader from assignments/).

    cd assignments
    python build_notebooks.py                       # source/<id>/<id>.ipynb from notebooks/ + reference/
    nbgrader generate_assignment ps1_corr2d --force # -> release/ps1_corr2d/ (stubs, no hidden tests)
    nbgrader autograde ps1_corr2d                   # as root: confined kernels, trusted grading

generate_assignment creates the assignment in the gradebook when missing
(GenerateAssignment.create_assignment); `nbgrader db assignment add ID` does the same by hand.
The kit (source/<id>/cursocnn/*.py, file symlinks to ../../../cursocnn/) is copied into each
release as real files.
"""
import os

c = get_config()  # noqa: F821  (injected by traitlets when nbgrader loads this file)

HERE = os.path.dirname(os.path.abspath(__file__))

# This configuration needs the grader importable (installed, or the repository on PYTHONPATH): it
# reads the assignments from it and installs its autograde and feedback preprocessors below.
try:
    from autograder.grading.registry import ids as _registered_ids
except ImportError as exc:
    raise ImportError("nbgrader_config.py needs the autograder package: install cnn-autograder or "
                      "put the repository on PYTHONPATH (docs/instructors.md)") from exc

# The assignments of the course, from the grader's registry (autograder/suites/<id>/).
ASSIGNMENTS = list(_registered_ids())

c.CourseDirectory.course_id = "cnn-humai"
c.CourseDirectory.root = HERE
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(HERE, "gradebook.db")
c.CourseDirectory.ignore = [
    ".ipynb_checkpoints",
    "*.pyc",
    "__pycache__",
    "feedback",
    "gradebook.db",
    ".pytest_cache",
    "*.egg-info",
]

c.GenerateAssignment.create_assignment = True

# Spanish stubs in the students' notebooks (nbgrader replaces each BEGIN/END SOLUTION region).
c.ClearSolutions.code_stub = {"python": "# TU CÓDIGO AQUÍ\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "TU RESPUESTA AQUÍ"

# Students' demo cells may train a small network: far above nbgrader's 30 s default per cell.
# (The hardened grading, with ps5's LeNet training, runs before execution, outside the kernel.)
c.Execute.timeout = 3600

# Demo cells honour CNN_QUICK=1 (smaller data, fewer iterations): when nbgrader executes a whole
# notebook (validate, autograde) only the graded objects matter, so keep the demos short.
os.environ.setdefault("CNN_QUICK", "1")

# autograde: snapshot + trusted grading of the submitted notebook before any kernel runs, the
# student's kernel confined (the best mode of this account: bwrap as root, bwrap in a user
# namespace, or Landlock; only its own folder writable), the grade cells' outputs replaced by the
# trusted results (docs/instructors.md §4, docs/security.md).
# The kernel's limits: c.ConfinedKernelManager.limits = {"mem_mb": 4096, ...}
# Where nothing can confine student code, autograde refuses in one line; to grade anyway,
# unconfined (every result says so): c.ConfinedKernelManager.require_confinement = False
from autograder.nbgrader.kernel import check_confinement_first  # noqa: E402
from autograder.nbgrader.preprocessors import autograde_preprocessors  # noqa: E402

c.Autograde.autograde_preprocessors = autograde_preprocessors()
check_confinement_first()

# generate_feedback: the grade cells show a Spanish comment instead of the hidden hook call
# (autograder/nbgrader/feedback.py); their outputs, the trusted feedback and score, stay.
from autograder.nbgrader.feedback import feedback_preprocessors  # noqa: E402

c.GenerateFeedback.preprocessors = feedback_preprocessors()
