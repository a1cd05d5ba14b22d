"""Data-only messages between the trusted process and the worker.

Payloads are torch.save'd nested containers of plain data and tensors; the reader uses
torch.load(weights_only=True), which refuses anything that could run code when read.
Frames are an 8-byte big-endian length followed by the payload.

torch is imported on the first message, not with this module: the trusted side imports the
sandbox (hence this module) in processes that never exchange a message, such as every nbgrader
command through the course's nbgrader_config.py, and torch is two seconds of CPU at each start.
"""
import io
import struct

HEADER = struct.Struct(">Q")


class WireError(Exception):
    pass


def to_plain(obj, _depth=0):
    """Copy obj into plain data (tensor subclasses become detached cpu tensors)."""
    import torch

    if _depth > 50:
        raise WireError("nesting too deep")
    if obj is None or type(obj) in (bool, int, float, str, bytes):
        return obj
    if isinstance(obj, torch.Tensor):
        # Tensor subclasses may override every method (__torch_function__): copy the data with
        # the subclass machinery disabled and check that a plain tensor came out.
        with torch._C.DisableTorchFunction():
            t = torch.Tensor.as_subclass(obj, torch.Tensor)
            t = torch.Tensor.detach(t)
            if t.layout != torch.strided or t.is_quantized or t.is_nested:
                raise WireError("only dense tensors can be returned")
            t = torch.Tensor.contiguous(torch.Tensor.clone(torch.Tensor.to(t, "cpu")))
        if type(t) is not torch.Tensor:
            raise WireError("tensor subclass could not be converted")
        return t
    if isinstance(obj, (list, tuple)):
        items = [to_plain(x, _depth + 1) for x in obj]
        return items if isinstance(obj, list) else tuple(items)
    if isinstance(obj, dict):
        return {to_plain(k, _depth + 1): to_plain(v, _depth + 1) for k, v in obj.items()}
    if isinstance(obj, (bool, int, float, str)):  # subclasses of builtins: strip them
        for base in (bool, int, float, str):
            if isinstance(obj, base):
                return base(obj)
    raise WireError(f"unsupported type {type(obj).__name__}")


def encode(obj) -> bytes:
    import torch

    buf = io.BytesIO()
    torch.save(to_plain(obj), buf)
    return buf.getvalue()


def decode(data: bytes):
    import torch

    return torch.load(io.BytesIO(data), weights_only=True, map_location="cpu")


def write_frame(fd: int, payload: bytes) -> None:
    import os

    data = HEADER.pack(len(payload)) + payload
    view = memoryview(data)
    while view:
        n = os.write(fd, view)
        view = view[n:]


def read_exact(fd: int, n: int) -> bytes:
    import os

    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError("pipe closed")
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame(fd: int, max_bytes: int) -> bytes:
    (n,) = HEADER.unpack(read_exact(fd, HEADER.size))
    if n > max_bytes:
        raise WireError(f"message of {n} bytes exceeds the {max_bytes} byte limit")
    return read_exact(fd, n)
