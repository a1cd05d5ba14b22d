"""The shapes of what the genuine probes (autograder/sandboxed/worker/probes*.py) return.

A reply of another shape was forged by the student's code (a replaced probe, a frame written
straight to the protocol pipe): the plugin makes it that student's failure, flagged for review,
never a grader error. A `value` is any data (the suites' own comparisons handle whatever the
student returned). Fields deeper than checked here (describe_model's layers) are covered by the
plugin's catch-all: a grader-side exception in a submission that could tamper is the student's.
"""


def _is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def _ints(v):
    return isinstance(v, (tuple, list)) and all(_is_int(x) for x in v)


def _str_dict(v, check):
    return isinstance(v, dict) and all(isinstance(k, str) and check(x) for k, x in v.items())


def _is_tensor(v):
    import torch

    return isinstance(v, torch.Tensor)


def _record_ok(r):
    return (isinstance(r, dict) and "value" in r and isinstance(r.get("type"), str)
            and isinstance(r.get("forbidden"), list) and all(isinstance(x, str) for x in r["forbidden"])
            and all(r.get(k) is None or _is_int(r.get(k)) for k in ("ops", "lines")))


def _attr_ok(v):
    if v is None:
        return True
    if not (isinstance(v, dict) and isinstance(v.get("type"), str) and isinstance(v.get("is_tensor"), bool)):
        return False
    if not v["is_tensor"]:
        return True
    return (all(isinstance(v.get(k), bool) for k in ("is_parameter", "registered", "requires_grad"))
            and _ints(v.get("shape")) and _is_tensor(v.get("value")))


def _params_ok(r):
    return (isinstance(r, dict) and isinstance(r.get("is_module"), bool)
            and _str_dict(r.get("parameters"), lambda p: isinstance(p, dict) and _ints(p.get("shape"))
                          and isinstance(p.get("requires_grad"), bool))
            and all(_attr_ok(r.get(k)) for k in ("weight", "bias", "weight_second")))


def _forward_ok(r):
    return (isinstance(r, dict) and "output" in r and _attr_ok(r.get("weight")) and _attr_ok(r.get("bias"))
            and isinstance(r.get("output_requires_grad"), bool)
            and (r.get("grads") is None or _str_dict(r["grads"], lambda g: g is None or _is_tensor(g))))


def _net_ok(r):
    def layer_ok(x):
        return (isinstance(x, dict) and isinstance(x.get("class"), str)
                and isinstance(x.get("torch_class"), str) and isinstance(x.get("config"), dict)
                and _ints(x.get("shape")))
    return (isinstance(r, dict) and isinstance(r.get("type"), str)
            and all(isinstance(r.get(k), bool) for k in ("is_module", "is_sequential", "nested"))
            and isinstance(r.get("layers"), list) and all(layer_ok(x) for x in r["layers"])
            and (r.get("n_params") is None or _is_int(r["n_params"]))
            and (r.get("batch_output_shape") is None or _ints(r["batch_output_shape"])))


def _loop_ok(r):
    def entry_ok(e):
        return (isinstance(e, (tuple, list)) and e and isinstance(e[0], str)
                and all(isinstance(x, (bool, int, float, str)) for x in e[1:]))
    return (isinstance(r, dict) and "value" in r and isinstance(r.get("type"), str)
            and isinstance(r.get("log"), list) and all(entry_ok(e) for e in r["log"])
            and _str_dict(r.get("weights"), _is_tensor) and isinstance(r.get("final_training"), bool))


REPLY_SHAPES = {
    "call_student": _record_ok, "run_layer_shapes": _record_ok, "conv2d_params": _params_ok,
    "conv2d_forward": _forward_ok, "describe_net": _net_ok, "run_loop": _loop_ok,
    "describe_model": lambda r: isinstance(r, dict) and isinstance(r.get("kind"), str),
}
