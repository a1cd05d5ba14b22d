"""The confined kernel's working folder and nbgrader's notebook folder, kept apart.

nbgrader runs a notebook with `autograded/<student>/<assignment>/` as the kernel's cwd. The
confined kernel (autograder/nbgrader/kernel.py) never sees that folder: it works in a copy owned
by its own uid (`copy_in`), and when it is dead what it wrote there comes back as plain files
(`copy_back`). Then `take_back` makes sure nbgrader, which runs as root and later chmods files in
the folder and writes the executed notebook there, finds no link, fifo, socket or device (the
student's submission could have held them) and no set-id bit.

Nothing here follows a symlink: folders are walked with lstat, files are opened with O_NOFOLLOW
and checked to be regular files.
"""
from __future__ import annotations

import os
import shutil
import stat

_COPY_CHUNK = 1 << 20


def walk(top: str):
    """Every path under `top` (not `top`), children before parents, never following links."""
    stack, out = [top], []
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as it:
            for entry in it:
                out.append(entry.path)
                if entry.is_dir(follow_symlinks=False):
                    stack.append(entry.path)
    return reversed(out)


def _copy_file(src: str, dst: str) -> bool:
    """Copy a regular file without following a link at either end (an existing `dst` that is not
    a regular file is removed first). Keeps the source's mtime. False when src is not a regular
    file."""
    try:
        fd_in = os.open(src, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        st = os.fstat(fd_in)
        if not stat.S_ISREG(st.st_mode):
            return False
        if os.path.lexists(dst) and not stat.S_ISREG(os.lstat(dst).st_mode):
            _remove(dst)
        fd_out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        try:
            while chunk := os.read(fd_in, _COPY_CHUNK):
                os.write(fd_out, chunk)
            os.utime(fd_out, ns=(st.st_atime_ns, st.st_mtime_ns))
        finally:
            os.close(fd_out)
        return True
    finally:
        os.close(fd_in)


def _remove(path: str) -> None:
    if os.path.isdir(path) and not os.path.islink(path):
        shutil.rmtree(path)
    else:
        os.unlink(path)


def _ensure_dir(path: str) -> None:
    if os.path.lexists(path) and not stat.S_ISDIR(os.lstat(path).st_mode):
        os.unlink(path)
    if not os.path.lexists(path):
        os.mkdir(path, 0o755)


def _tree(top: str):
    """(relative path, is folder) of the folders and regular files under top, parents first."""
    out = []
    for path in walk(top):
        mode = os.lstat(path).st_mode
        if stat.S_ISDIR(mode) or stat.S_ISREG(mode):
            out.append((os.path.relpath(path, top), stat.S_ISDIR(mode)))
    return sorted(out, key=lambda item: item[0].count(os.sep))


def copy_in(folder: str, work: str, uid: int) -> dict:
    """Copy the folders and regular files of `folder` into the empty folder `work` and give
    everything there to `uid`. Returns {relative path: (size, mtime_ns)} of the files copied."""
    copied = {}
    for rel, is_dir in _tree(folder):
        src, dst = os.path.join(folder, rel), os.path.join(work, rel)
        if is_dir:
            os.mkdir(dst, 0o755)
        elif _copy_file(src, dst):
            st = os.lstat(dst)
            copied[rel] = (st.st_size, st.st_mtime_ns)
    hand_over(work, uid)
    return copied


def copy_back(work: str, folder: str, copied: dict, skip=()) -> list[str]:
    """After the kernel is dead: bring the folders and regular files it created or changed in
    `work` to `folder` (nothing else: links and special files it made stay behind), except the
    names in `skip` (the notebook nbgrader writes itself). Returns the relative paths written."""
    written = []
    for rel, is_dir in _tree(work):
        if rel in skip:
            continue
        src, dst = os.path.join(work, rel), os.path.join(folder, rel)
        if is_dir:
            _ensure_dir(dst)
            continue
        st = os.lstat(src)
        if copied.get(rel) == (st.st_size, st.st_mtime_ns):
            continue
        if _copy_file(src, dst):
            written.append(rel)
    return written


def hand_over(folder: str, uid: int) -> None:
    """Give `folder` and everything in it to `uid`."""
    for path in walk(folder):
        os.lchown(path, uid, uid)
    os.lchown(folder, uid, uid)


def take_back(folder: str, owner: tuple[int, int], keep_regular=()) -> None:
    """Remove every symlink, fifo, socket or device under `folder`, make regular files and
    folders `owner`'s without set-id bits, and make sure each name in `keep_regular` is a regular
    file or absent."""
    for name in keep_regular:
        path = os.path.join(folder, name)
        if os.path.lexists(path) and not stat.S_ISREG(os.lstat(path).st_mode):
            _remove(path)
    for path in list(walk(folder)) + [folder]:
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode):
            os.lchown(path, *owner)
            os.chmod(path, 0o755)
        elif stat.S_ISREG(st.st_mode):
            os.lchown(path, *owner)
            os.chmod(path, (stat.S_IMODE(st.st_mode) & 0o755) | 0o600)
        else:
            os.unlink(path)
