"""`python -m autograder.mutation [--assignment ID] [--engine]`: the mutation check (mutants.py)."""
import sys

from .mutants import main

if __name__ == "__main__":
    sys.exit(main())
