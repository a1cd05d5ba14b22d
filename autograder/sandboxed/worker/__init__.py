"""Code that runs inside the sandbox. Uses relative imports only: the sandbox mounts this
folder alone, under its own package name, so nothing else of autograder/ is visible there."""
