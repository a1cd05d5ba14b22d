"""Commands: one module each (`autograder grade`, `report`, `mutants`, `list`)."""
