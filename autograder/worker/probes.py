"""The student side of each hidden test. A probe receives the namespace the student code ran
in, calls into it and returns data only (see docs/architecture.md). No expected values here."""


def call_function(ns, name, *args, **kwargs):
    return ns[name](*args, **kwargs)


PROBES = {
    "call_function": call_function,
}


from .probes_model import MODEL_PROBES  # noqa: E402  (the ps5 model probes live in their own module)

PROBES.update(MODEL_PROBES)
