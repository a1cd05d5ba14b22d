"""The "implement it yourself" rule, decided in the trusted process from the source the grader
loaded (never from anything the worker reports). The rule lives in the student kit
(cursocnn/implementation_check.py) so that the self-check applies the very same one; it is loaded
here by file path, next to this package, never through sys.path (a submission folder may carry
its own cursocnn/)."""
from __future__ import annotations

import os

# carry its own cursocnn/).

_CHECK_MODULE = None


def implementation_check():
    global _CHECK_MODULE
    if _CHECK_MODULE is None:
        import importlib.util
        import sys

        from autograder import locations

        candidates = [os.path.join(locations.PACKAGE_PARENT, "assignments", "cursocnn"),  # checkout
                      os.path.join(locations.PACKAGE_PARENT, "cursocnn")]                  # installed
        for folder in candidates:
            path = os.path.join(folder, "implementation_check.py")
            if os.path.isfile(path):
                spec = importlib.util.spec_from_file_location("_autograder_implementation_check", path)
                module = importlib.util.module_from_spec(spec)
                sys.modules[spec.name] = module  # dataclasses look their module up there
                spec.loader.exec_module(module)
                _CHECK_MODULE = module
                break
        else:
            raise RuntimeError("cursocnn/implementation_check.py not found next to autograder/")
    return _CHECK_MODULE


