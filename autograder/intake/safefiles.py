"""Reading untrusted files on the trusted side: regular files only, never through a link.

A submission (or a batch folder) is written by students. Whatever it holds, the grader, which
runs as root, must not follow a symbolic link (to the reference, to /etc/shadow), open a
special file (/dev/zero, a FIFO: a hang), or read more than a size cap. Every open here uses
O_NOFOLLOW | O_NONBLOCK and checks the opened descriptor with fstat; folders are walked with
directory descriptors (dir_fd), so no path component below the folder the instructor named is
ever resolved through a link.

Problems are `Refused(kind, name)`; `Refused.text(lang)` is the note for the student. A message
never quotes the content of what was refused.
"""
from __future__ import annotations

import os
import stat

from autograder.text.i18n import N_, tr

_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0)
_DIR_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_DIRECTORY | os.O_CLOEXEC | os.O_NONBLOCK

MAX_DEPTH = 8          # folder levels walked below a submission or batch folder
MAX_ENTRIES = 5000     # directory entries looked at in one walk

_KIND_TEXT = {
    "symlink": N_("«{name}» es un enlace simbólico; por seguridad no se sigue. Entrega el archivo en sí."),
    "fifo": N_("«{name}» es una tubería (FIFO), no un archivo normal; no se lee. Entrega el archivo en sí."),
    "socket": N_("«{name}» es un socket, no un archivo normal; no se lee. Entrega el archivo en sí."),
    "device": N_("«{name}» es un dispositivo, no un archivo normal; no se lee. Entrega el archivo en sí."),
    "directory": N_("«{name}» es una carpeta, no un archivo."),
    "other": N_("«{name}» no es un archivo normal; no se lee. Entrega el archivo en sí."),
    "missing": N_("«{name}» no existe."),
    "unreadable": N_("«{name}» no se pudo leer."),
    "too_big": N_("El archivo «{name}» es demasiado grande ({mb} MB). "
                  "Borra las salidas de las celdas y vuelve a entregarlo."),
}


class Refused(Exception):
    """A path that must not be read: kind is a key of _KIND_TEXT."""

    def __init__(self, kind: str, name: str, size: int = 0):
        super().__init__(f"{name}: {kind}")
        self.kind, self.name, self.size = kind, name, size

    def text(self, lang: str | None = None) -> str:
        """The note for the student, in lang."""
        return tr(lang, _KIND_TEXT.get(self.kind, _KIND_TEXT["other"]), name=self.name,
                  mb=self.size >> 20)


def kind_of(mode: int) -> str:
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "directory"
    if stat.S_ISLNK(mode):
        return "symlink"
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "other"


def lkind(path, dir_fd=None) -> str:
    """The kind of path itself (a link is "symlink"), or "missing"."""
    try:
        return kind_of(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except FileNotFoundError:
        return "missing"
    except OSError:
        return "unreadable"


def _refusal(path, dir_fd) -> Refused:
    """Why path could not be opened, as lkind sees it now."""
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    kind = lkind(path, dir_fd)
    if kind in ("file", "directory"):  # it exists and is what we wanted, but cannot be opened
        kind = "unreadable"
    return Refused(kind, name)


def open_dir(path, dir_fd=None) -> int:
    """A descriptor of the folder `path` (relative to dir_fd when given), not through a link."""
    try:
        return os.open(path, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError:
        raise _refusal(path, dir_fd) from None


def open_regular(path, dir_fd=None) -> int:
    """A read-only descriptor of the regular file `path` (relative to dir_fd when given).
    Raises Refused for a link, a special file, a folder, a missing or unreadable file; never
    blocks (O_NONBLOCK: opening a FIFO does not wait for a writer)."""
    name = os.path.basename(os.fspath(path)) or os.fspath(path)
    # Look before opening: opening a device can itself do something (a tape rewinds, a
    # watchdog arms), and an archive extracted by root can hold device nodes.
    kind = lkind(path, dir_fd)
    if kind != "file":
        raise Refused(kind, name)
    try:
        fd = os.open(path, _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        raise _refusal(path, dir_fd) from None
    try:  # and check again what was opened (it may have been swapped meanwhile)
        kind = kind_of(os.fstat(fd).st_mode)
    except OSError:
        os.close(fd)
        raise Refused("unreadable", name) from None
    if kind != "file":
        os.close(fd)
        raise Refused(kind, name)
    return fd


def open_under(root: str, rel_parts) -> int:
    """open_regular of root/rel_parts[0]/.../rel_parts[-1], opening each folder with O_NOFOLLOW
    relative to the previous one (no component below root is resolved through a link)."""
    fd = open_dir(root)
    try:
        for part in rel_parts[:-1]:
            nxt = open_dir(part, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return open_regular(rel_parts[-1], dir_fd=fd)
    finally:
        os.close(fd)


def read_fd(fd: int, max_bytes: int, name: str) -> bytes:
    """At most max_bytes from the regular file fd (Refused "too_big" beyond); closes fd."""
    try:
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise Refused("too_big", name, size)
        chunks, total = [], 0
        while total <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > max_bytes:  # it grew while we read it
            raise Refused("too_big", name, total)
        return b"".join(chunks)
    except OSError:
        raise Refused("unreadable", name) from None
    finally:
        os.close(fd)


def read_regular(path, max_bytes: int, dir_fd=None) -> bytes:
    """The bytes of the regular file `path` (see open_regular), at most max_bytes."""
    return read_fd(open_regular(path, dir_fd), max_bytes, os.path.basename(os.fspath(path)))


def read_under(root: str, rel_parts, max_bytes: int) -> bytes:
    """The bytes of root/rel_parts... (see open_under), at most max_bytes."""
    return read_fd(open_under(root, rel_parts), max_bytes, rel_parts[-1])


def walk(root: str, skip_dir=lambda name: False, *, max_depth=MAX_DEPTH, max_entries=MAX_ENTRIES):
    """Every entry below the folder root, as (relative parts tuple, kind), sorted per folder;
    links and special files are reported (kind "symlink", "fifo", ...) and never entered or
    opened. Hidden names are skipped; so are folders for which skip_dir(name) is true.
    Stops quietly at max_depth levels or max_entries entries."""
    out = []
    budget = [max_entries]

    def visit(fd, prefix, depth):
        try:
            with os.scandir(fd) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError:
            return
        for e in entries:
            if budget[0] <= 0:
                return
            budget[0] -= 1
            if e.name.startswith("."):
                continue
            try:
                kind = kind_of(e.stat(follow_symlinks=False).st_mode)
            except OSError:
                continue
            parts = prefix + (e.name,)
            if kind == "directory":
                if skip_dir(e.name) or depth >= max_depth:
                    continue
                out.append((parts, kind))
                try:
                    sub = open_dir(e.name, dir_fd=fd)
                except Refused:  # swapped for a link meanwhile
                    continue
                try:
                    visit(sub, parts, depth + 1)
                finally:
                    os.close(sub)
            else:
                out.append((parts, kind))

    top = open_dir(root)
    try:
        visit(top, (), 1)
    finally:
        os.close(top)
    return out
