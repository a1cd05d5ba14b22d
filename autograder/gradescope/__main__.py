"""`python -m autograder.gradescope run --root ROOT`: what a built zip's run_autograder calls."""
import sys

from .build import main

if __name__ == "__main__":
    sys.exit(main())
