"""Where the grader's own folders are, stated once (modules never count `..` from __file__)."""
import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))         # autograder/
PACKAGE_PARENT = os.path.dirname(PACKAGE)                     # the checkout, or site-packages
SUITES = os.path.join(PACKAGE, "suites")                      # hidden suites and declarations
SANDBOXED = os.path.join(PACKAGE, "sandboxed")                # the only code a sandbox sees
WORKER = os.path.join(SANDBOXED, "worker")
KERNEL_BOOT = os.path.join(SANDBOXED, "kernel_boot")
LOCALE = os.path.join(PACKAGE, "text", "locale")
