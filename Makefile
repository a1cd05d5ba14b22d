# Two commands set up and run everything on a fresh machine (see README.md):
#   make examples   grade the bundled example submissions
#   make test       run the test suite
# Both create .venv and install what is missing first (system packages need root).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# torch/torchvision pins that pip takes from local disk on the course machines; override as needed.
TORCH_SPEC ?= torch==2.14.1 torchvision==0.29.1
STAMP  := $(VENV)/.installed

.PHONY: setup examples test clean

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
	$(BIN)/pip install -q -e ".[dev]" pytest-xdist
	touch $(STAMP)

# The registered assignments (autograder/suites/<id>.py), asked once the venv exists.
ASSIGNMENTS = $(shell $(BIN)/python -m autograder list)

# Grades examples/<id>/ (perfect, typical mistakes, untouched release) for every assignment.
# ps5 trains the perfect submission's LeNets (CPU recipe, a few minutes on 2 cores).
examples: setup
	@for a in $(ASSIGNMENTS); do \
	  echo "== $$a"; \
	  $(BIN)/autograder grade --assignment $$a --out grading-out/$$a --jobs 2 examples/$$a || exit $$?; \
	done

# nbgrader runs `alembic` from PATH, hence the venv's bin first.
test: setup
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/python -m pytest -q

clean:
	rm -rf grading-out .pytest_cache
