# Two commands set up and run everything on a fresh machine (see README.md):
#   make examples   grade the bundled example submissions
#   make test       run the test suite (all of it, on 3 workers)
# and, while working on the code (CONTRIBUTING.md):
#   make test-fast  the tests that start no sandbox and no process (under a minute)
#   make lint       ruff and mypy, as tests/repo/test_conventions.py runs them
# Both create .venv and install what is missing first (system packages need root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch/torchvision pins that pip takes from local disk on the course machines; override as needed.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed

.PHONY: setup examples test test-fast lint clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	@if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  if [ ! -d /usr/share/datasets/fashion-mnist ] || ! command -v bwrap >/dev/null || [ ! -x /usr/bin/chromium ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dataset-fashion-mnist bubblewrap chromium fonts-dejavu-core; \
	  fi; \
	else echo "note: not root: install 'dataset-fashion-mnist', 'bubblewrap' and 'chromium' yourself (apt)"; fi
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q $(TORCH_SPEC)
	$(BIN)/pip install -q -e ".[dev]"
	touch $(STAMP)

# The registered assignments (autograder/suites/<id>/), asked once the venv exists.
ASSIGNMENTS = $(shell $(BIN)/python -m autograder list)

# Grades examples/<id>/ (perfect, typical mistakes, untouched release) for every assignment.
# ps5 trains the perfect submission's LeNets (CPU recipe, a few minutes on 2 cores).
examples: setup
	@for a in $(ASSIGNMENTS); do \
	  echo "== $$a"; \
	  $(BIN)/autograder grade --assignment $$a --out grading-out/$$a --jobs 2 examples/$$a || exit $$?; \
	done

# nbgrader runs `alembic` from PATH, hence the venv's bin first. A file to one worker (--dist
# loadfile): a module's fixtures (a graded course, the ordinary user, a cluster) are made once; the
# files that read the graded corpus share a worker (tests/conftest.py). Three workers on two cores:
# about a tenth of the suite is waiting (budgets and timeouts running out, sleeping cheats, servers
# starting), which a third worker fills; every process runs one torch thread (tests/conftest.py),
# so three share two cores without spinning. (--dist loadgroup is no use here: pytest 9 ignores
# xdist's group names.)
TEST_WORKERS ?= 3
FAST = not (sandbox or nbgrader or browser or cluster or gpu or slow)

test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile --durations=25

# --no-spawn fails a test of this tier that starts a process (tests/conftest.py): mark it instead.
test-fast: setup
	$(BIN)/python -m pytest -q -m "$(FAST)" --no-spawn --durations=10

lint: setup
	$(BIN)/ruff check .
	$(BIN)/mypy

clean:
	rm -rf grading-out .pytest_cache
