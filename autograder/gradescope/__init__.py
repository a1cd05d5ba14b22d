"""The Gradescope route: the autograder zip and what its run_autograder calls."""
