"""Reading what a student submitted: paths, notebooks, untrusted files."""
