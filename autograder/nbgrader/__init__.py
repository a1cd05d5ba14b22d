"""The nbgrader route: snapshot, confined kernel, preprocessors, gradebook, feedback."""
