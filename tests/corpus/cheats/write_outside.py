"""Tries to write outside its scratch folder (to plant files for the grader or other
students). `write_file(path, text)` writes and returns the path."""


def write_file(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path
