"""What a Session raises. Data only: the text a student reads is rendered from these fields on
the trusted side, in the student's language (autograder/text/student_notes.py)."""


class StudentError(Exception):
    """The student's code raised inside a probe."""

    def __init__(self, type_name, message, traceback_text=""):
        super().__init__(f"{type_name}: {message}")
        self.type_name, self.message, self.traceback_text = type_name, message, traceback_text


class StudentCrash(Exception):
    """The worker died, timed out, or broke the protocol while running student code.

    reason: "timeout", "output" (too much printed), "died" (exit, signal, memory/cpu limit),
    "protocol" (unreadable or oversized reply), "load" (the code could not even be loaded),
    "budget" (the submission's time budget is spent, see autograder/grading/budget.py).
    code and fields: what happened exactly, e.g. ("timeout", {"seconds": 10.0}); see
    autograder/text/student_notes.py for every code and its text."""

    def __init__(self, reason, code="", **fields):
        super().__init__(f"{reason}: {code} {fields}" if code else reason)
        self.reason, self.code, self.fields = reason, code, fields

    def as_data(self):
        """[reason, code, fields]: how a crash travels inside a load note."""
        return [self.reason, self.code, dict(self.fields)]


class SandboxError(RuntimeError):
    """The sandbox itself could not start (a grader problem, not the student's)."""


class ConfinementUnavailable(SandboxError):
    """Nothing on this account can confine student code, and running it unconfined was not
    asked for (--unconfined, AUTOGRADER_SANDBOX=none)."""


class ZygoteError(RuntimeError):
    """The zygote did not answer, or refused a request (the Session falls back to a fresh sandbox)."""
