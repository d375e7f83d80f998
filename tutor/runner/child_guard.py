"""The walls the test harness child (``child.py``) sets up inside itself before any learner code runs: a lower
priority, resource limits, the audit hook that turns the common mistakes (a fork loop, a socket, a write outside
the folder) into a clear message, and dropping root in the OS sandbox. Stdlib only, and started beside
``child.py`` as a plain module (see there): it imports nothing from ``tutor``."""

from __future__ import annotations

import os
import sys

try:  # the C module behind signal: importing the Python wrapper (enum) costs more than a test run
    import _signal as signal
except ImportError:  # pragma: no cover - every CPython has it
    import signal

TYPE_CHECKING = False  # typing is not imported at run time: this child starts for every test run
if TYPE_CHECKING:
    from typing import Any

NOBODY = 65534

BLOCKED_EVENTS = {
    "os.fork": "starting new processes (fork)",
    "os.forkpty": "starting new processes (fork)",
    "os.system": "running shell commands",
    "os.exec": "running other programs",
    "os.posix_spawn": "starting new processes",
    "os.spawn": "starting new processes",
    "os.startfile": "starting other programs",
    "subprocess.Popen": "starting new processes (subprocess)",
    "socket.__new__": "opening network sockets",
    "socket.connect": "opening network connections",
    "socket.bind": "opening network sockets",
    "socket.getaddrinfo": "looking up network addresses",
    "socket.gethostbyname": "looking up network addresses",
    "ctypes.dlopen": "loading native libraries",
    "ctypes.dlsym": "loading native libraries",
    "ctypes.cdata": "reading raw memory",
    "os.kill": "sending signals to processes",
    "os.killpg": "sending signals to processes",
    "signal.pthread_kill": "sending signals to processes",
}
BLOCKED_MODULES = {
    "ctypes",
    "_ctypes",
    "_posixsubprocess",
    "_socket",
    "socket",
    "multiprocessing",
    "_multiprocessing",
}
WRITE_EVENTS = {
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.mkdir",
    "os.chmod",
    "os.chown",
    "os.link",
    "os.symlink",
    "os.truncate",
    "os.utime",
    "shutil.rmtree",
    "shutil.move",
}


def lower_priority(nice: int) -> None:
    """Background work yields the CPU: a higher niceness for this process and, where Linux groups a session's
    processes for scheduling (autogroup), for its session too (this child leads its own)."""
    if nice <= 0 or not hasattr(os, "nice"):
        return
    try:
        os.nice(nice)
        with open("/proc/self/autogroup", "w") as handle:
            handle.write(str(nice))
    except OSError:
        pass


def set_limits(limits: dict[str, Any]) -> None:
    try:
        import resource
    except ImportError:  # not POSIX: the parent's time limits and process-tree kill still apply
        return
    mb = 1024 * 1024
    wanted = [
        (resource.RLIMIT_AS, limits["memory_mb"] * mb),
        (resource.RLIMIT_FSIZE, limits["file_size_mb"] * mb),
        (resource.RLIMIT_CPU, int(limits["total_s"]) + 2),
        (resource.RLIMIT_NPROC, limits["processes"]),
        (resource.RLIMIT_CORE, 0),
    ]
    for which, value in wanted:
        try:
            soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, hard))
        except (ValueError, OSError):
            pass
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-big file raises OSError instead of killing us


def install_audit_hook(workdir: str) -> None:
    workdir = os.path.realpath(workdir)

    def inside(path: Any) -> bool:
        try:
            target = os.path.realpath(os.fsdecode(path))
        except (TypeError, ValueError):
            return False
        return target == workdir or target.startswith(workdir + os.sep)

    def hook(event: str, args: tuple[Any, ...]) -> None:
        if event in BLOCKED_EVENTS:
            raise PermissionError(f"Exercises may not use {BLOCKED_EVENTS[event]} ({event}).")
        if event == "import" and args and args[0] in BLOCKED_MODULES:
            raise ImportError(f"The module {args[0]!r} is not available in exercises.")
        if event == "open" and len(args) > 2 and isinstance(args[0], (str, bytes)):
            mode, flags = args[1], args[2]
            writing = (isinstance(mode, str) and any(flag in mode for flag in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)
            )
            if writing and not inside(args[0]):
                raise PermissionError("Exercises may only write files in their own folder.")
        if event in WRITE_EVENTS and args and isinstance(args[0], (str, bytes)) and not inside(args[0]):
            raise PermissionError("Exercises may only change files in their own folder.")

    sys.addaudithook(hook)


def drop_root(workdir: str) -> None:
    """In the OS sandbox, started as root: become nobody before any learner code runs (the sandbox's files are
    read-only or its own; the rest of the system is not there)."""
    if not hasattr(os, "getuid") or os.getuid() != 0:
        return
    os.chown(workdir, NOBODY, NOBODY)
    os.setgroups([])
    os.setgid(NOBODY)
    os.setuid(NOBODY)
