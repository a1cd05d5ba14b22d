"""The mutation check of the hidden suites (`python -m autograder.mutation`)."""
