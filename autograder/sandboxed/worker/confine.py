"""Confinement of a process inside the sandbox: rlimits and the drop to an unprivileged uid.

The one place where that happens, for every process that runs untrusted code: a fresh sandbox's
boot (`boot`, what the bwrap command runs), each child of the zygote (zygote._child) and the
confined nbgrader kernel. Also the reaper that kills whatever a uid left running (`kill_uid`).
Standard library only: the trusted side imports it too (autograder.nbgrader.kernel), and the
nbgrader kernel's sandbox mounts this file alone (autograder/sandbox/policy.py).

The boot configuration is JSON built by autograder/sandbox/policy.py:
  {"front": [...], "back": [...]        sys.path entries before / after the interpreter's own,
   "rlimits": [[NAME, soft, hard], ...], "uid": int | None,
   "landlock": {"read": [...], "write": [...]} (optional: the Landlock mode, no namespaces),
   "package": name, "entry": module}    what runs once confined: PACKAGE.ENTRY.main(args, cfg)
"""
import os
import resource
import signal
import sys

REFUSED = 97   # exit status of a process that could not be confined (it never runs student code)


def set_rlimits(rlimits) -> None:
    for name, soft, hard in rlimits:
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (ValueError, OSError):
            pass


def become(uid: int) -> None:
    """Drop every privilege for `uid` (as its own group, no supplementary groups); exit with
    REFUSED rather than go on with any root id left."""
    os.setgroups([])
    os.setresgid(uid, uid, uid)
    os.setresuid(uid, uid, uid)
    if 0 in (os.getuid(), os.geteuid(), os.getgid(), os.getegid()):
        os._exit(REFUSED)


def confine(rlimits, uid) -> None:
    """The rlimits, then (when running as root and a uid is given) the drop to that uid."""
    set_rlimits(rlimits)
    if uid is not None and os.getuid() == 0:
        become(int(uid))


def kill_uid(uid: int) -> None:
    """SIGKILL every process of `uid`: a forked reaper becomes `uid` and kills -1, which reaches
    processes that left their process group or session. Never root: `become` refuses it."""
    if int(uid) <= 0:
        raise ValueError(f"refusing to reap uid {uid}")
    pid = os.fork()
    if pid == 0:
        try:
            become(int(uid))
            for _ in range(3):
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    break
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def boot(cfg: dict, args) -> None:
    """Run by the bwrap (or fallback) command: set sys.path, confine, run the entry point."""
    sys.path.extend(cfg["back"])
    confine(cfg["rlimits"], cfg["uid"])
    rules = cfg.get("landlock")
    if rules:  # no namespaces on this account: Landlock or nothing runs
        own = os.path.realpath("/proc/self")
        try:
            if os.geteuid() == 0:
                drop_capabilities()
            landlock(rules["read"] + [own], rules["write"])
            seccomp_filter()
        except OSError:
            os._exit(REFUSED)
    import importlib
    importlib.import_module(f"{cfg['package']}.{cfg['entry']}").main(list(args), cfg)


# ------------------------------------------------------------------ Landlock (no namespaces)
# For an account where user namespaces are blocked (many containers): the kernel's Landlock LSM
# limits what this process and its children may open, from inside, without any privilege. The
# syscalls are called directly (ctypes, standard library only); numbers are the same on every
# architecture Linux added them to together (444-446).

_LL_CREATE, _LL_ADD_RULE, _LL_RESTRICT = 444, 445, 446
_LL_VERSION = 1                               # landlock_create_ruleset flag: ask the ABI version
_FS_FILE = 1 | 2 | 4                          # execute, write_file, read_file
_FS_READ_DIR = 8
_FS_ALL_V1 = (1 << 13) - 1                    # execute .. make_sym
_FS_REFER, _FS_TRUNCATE, _FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
_NET_TCP = 1 | 2                              # bind_tcp, connect_tcp (ABI 4)
_SCOPE = 1 | 2                                # abstract unix sockets, signals (ABI 6)


def landlock_abi() -> int:
    """The kernel's Landlock ABI version (0: none)."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return max(0, int(libc.syscall(_LL_CREATE, None, 0, _LL_VERSION)))
    except (OSError, AttributeError):
        return 0


def landlock(read, write) -> int:
    """Restrict this process (and what it starts) to reading (and executing) under `read` (an
    entry "ls:PATH": only listing folders under PATH) and doing anything under `write`; no TCP
    bind/connect (ABI 4+); no signals to, and no abstract unix sockets of, processes outside
    (ABI 6+). Returns the ABI used; raises OSError when the
    kernel refuses (the caller must not run untrusted code then)."""
    import ctypes
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    abi = landlock_abi()
    if abi < 1:
        raise OSError("Landlock is not available")
    fs = _FS_ALL_V1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0) \
        | (_FS_IOCTL_DEV if abi >= 5 else 0)
    if abi >= 6:
        attr = struct.pack("=QQQ", fs, _NET_TCP, _SCOPE)
    elif abi >= 4:
        attr = struct.pack("=QQ", fs, _NET_TCP)
    else:
        attr = struct.pack("=Q", fs)
    buf = ctypes.create_string_buffer(attr, len(attr))
    ruleset = libc.syscall(_LL_CREATE, buf, len(attr), 0)
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        listed = [p[3:] for p in read if p.startswith("ls:")]
        read = [p for p in read if not p.startswith("ls:")]
        for paths, allowed in ((listed, _FS_READ_DIR), (read, 1 | 4 | _FS_READ_DIR), (write, fs)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except OSError:
                    continue  # absent here: nothing to allow
                try:
                    rights = allowed if os.path.isdir(path) else allowed & (_FS_FILE | _FS_TRUNCATE | _FS_IOCTL_DEV)
                    rule = ctypes.create_string_buffer(struct.pack("=Qi", rights, fd), 12)
                    if libc.syscall(_LL_ADD_RULE, ruleset, 1, rule, 0) != 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
                finally:
                    os.close(fd)
        if libc.prctl(38, 1, 0, 0, 0) != 0:  # PR_SET_NO_NEW_PRIVS
            raise OSError(ctypes.get_errno(), "no_new_privs")
        if libc.syscall(_LL_RESTRICT, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return abi


def drop_capabilities() -> None:
    """Root in the Landlock mode (root without a working bwrap) keeps uid 0, since its Python may
    live where no other uid can read (root's home), but loses every capability, for good: the
    bounding and ambient sets are emptied, then the effective, permitted and inheritable ones.
    Raises OSError when any is left."""
    import ctypes
    import struct

    libc = ctypes.CDLL(None, use_errno=True)
    for cap in range(64):
        libc.prctl(24, cap, 0, 0, 0)                  # PR_CAPBSET_DROP (EINVAL past the last cap)
    libc.prctl(47, 4, 0, 0, 0)                        # PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL
    header = ctypes.create_string_buffer(struct.pack("=Ii", 0x20080522, 0), 8)   # _LINUX_CAPABILITY_VERSION_3
    data = ctypes.create_string_buffer(b"\0" * 24, 24)   # 2 x {effective, permitted, inheritable}
    if libc.capset(header, data) != 0:
        raise OSError(ctypes.get_errno(), "capset")
    with open("/proc/self/status") as f:
        left = [line for line in f if line.startswith(("CapEff:", "CapPrm:", "CapBnd:"))]
    if any(int(line.split()[1], 16) for line in left):
        raise OSError("capabilities left: " + " ".join(line.strip() for line in left))


# ------------------------------------------------------------------ seccomp (with Landlock)
# What Landlock does not cover: sockets other than unix ones (UDP, raw, TCP beyond Landlock's
# rules), ptrace, new namespaces, io_uring and bpf. A classic BPF filter (prctl, no library):
# those system calls fail with EPERM, every other one runs.

_ARCH = {"x86_64": (0xC000003E, {"socket": 41, "socketpair": 53, "ptrace": 101, "unshare": 272,
                                 "setns": 308, "clone": 56, "clone3": 435, "io_uring_setup": 425,
                                 "bpf": 321, "process_vm_readv": 310, "process_vm_writev": 311}),
         "aarch64": (0xC00000B7, {"socket": 198, "socketpair": 199, "ptrace": 117, "unshare": 97,
                                  "setns": 268, "clone": 220, "clone3": 435, "io_uring_setup": 425,
                                  "bpf": 280, "process_vm_readv": 270, "process_vm_writev": 271})}
_CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 \
    | 0x40000000 | 0x00000080   # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWTIME


def seccomp_filter() -> None:
    """Install the filter described above (no_new_privs must be set; Landlock sets it). Raises
    OSError where it cannot be installed (an unknown architecture: the caller refuses to run)."""
    import ctypes
    import platform
    import struct

    arch = _ARCH.get(platform.machine())
    if arch is None:
        raise OSError(f"no seccomp filter for {platform.machine()}")
    audit_arch, nr = arch
    EPERM = 0x00050000 | 1      # SECCOMP_RET_ERRNO | EPERM
    # sockets of other families fail as on a system without them: libzmq (the Jupyter kernel's
    # IOPub pipe tries TCP on loopback) treats EAFNOSUPPORT as an error to report, EPERM as fatal
    NOFAMILY = 0x00050000 | 97  # EAFNOSUPPORT
    ALLOW, KILL = 0x7FFF0000, 0x80000000  # SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS
    LD, JEQ, JSET, RET = 0x20, 0x15, 0x45, 0x06   # BPF_LD|W|ABS, BPF_JMP|JEQ|K, BPF_JMP|JSET|K, BPF_RET|K
    prog = [(LD, 0, 0, 4), (JEQ, 1, 0, audit_arch), (RET, 0, 0, KILL), (LD, 0, 0, 0)]
    denied = [nr[n] for n in ("ptrace", "unshare", "setns", "io_uring_setup", "bpf", "process_vm_readv",
                              "process_vm_writev")]
    for number in denied:
        prog += [(JEQ, 0, 1, number), (RET, 0, 0, EPERM)]
    prog += [(JEQ, 0, 1, nr["clone3"]), (RET, 0, 0, 0x00050000 | 38)]  # ENOSYS: libc falls back to clone
    # socket/socketpair: only AF_UNIX (args[0], low word at offset 16)
    prog += [(JEQ, 1, 0, nr["socket"]), (JEQ, 0, 3, nr["socketpair"]),
             (LD, 0, 0, 16), (JEQ, 1, 0, 1), (RET, 0, 0, NOFAMILY)]
    # clone: no namespace flags (args[0])
    prog += [(LD, 0, 0, 0), (JEQ, 0, 3, nr["clone"]), (LD, 0, 0, 16), (JSET, 0, 1, _CLONE_NAMESPACES),
             (RET, 0, 0, EPERM)]
    prog += [(RET, 0, 0, ALLOW)]
    raw = b"".join(struct.pack("=HBBI", *ins) for ins in prog)
    filt = ctypes.create_string_buffer(raw, len(raw))
    fprog = struct.pack("=HxxxxxxQ", len(prog), ctypes.addressof(filt))  # struct sock_fprog (64-bit)
    fbuf = ctypes.create_string_buffer(fprog, len(fprog))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(22, 2, fbuf, 0, 0) != 0:   # PR_SET_SECCOMP, SECCOMP_MODE_FILTER
        raise OSError(ctypes.get_errno(), "seccomp")
