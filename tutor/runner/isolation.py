"""The operating-system sandbox around the test harness: bubblewrap on Linux.

Each run starts ``bwrap`` with new PID, network, IPC and UTS namespaces, a root folder that holds only what the
harness needs, read-only (``/usr``, the Python installation, the harness script, two files of ``/etc``), a fresh
``/proc`` and ``/dev``, and a small private tmpfs at ``/tmp`` whose folder ``/tmp/work`` is the only writable
place and the working folder. The user's home, the project, the grading output and every other process are not
there. ``--die-with-parent`` ends the sandbox with the tutor, and the end of the PID namespace ends every process
in it. A seccomp filter (``seccomp.py``) refuses the system calls learner code never needs. Started as root,
bubblewrap makes no user namespace (that would map the sandbox's user back to root) and the harness becomes
``nobody`` before any learner code runs; started as a user, the sandbox runs in a user namespace as that user,
with no capabilities and no further user namespaces.

Where bubblewrap is missing or cannot start (no user namespaces, not Linux), ``sandbox_status()`` says why, once; the
runner then falls back to a plain child process (its own session, limits, the process-tree kill), and the app,
``tutor doctor`` and ``tutor grade`` say so. Windows (job objects, an AppContainer) and macOS (``sandbox-exec``)
are designed in ``packaging/SANDBOX.md`` and not built.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from tutor.runner.seccomp import filter_program

WORKDIR = "/tmp/work"
SCRIPT_DIR = "/sandbox"
CHILD_PARTS = ("child_guard.py", "child_values.py")  # the modules child.py loads from its own folder
ETC_FILES = ("/etc/localtime", "/etc/ld.so.cache")
TMPFS_BYTES = 64 * 1024 * 1024
ENV_BWRAP = "TUTOR_BWRAP"  # a bubblewrap binary to use instead of the bundled one or the one on PATH


@dataclass(frozen=True)
class SandboxStatus:
    """Whether learner code runs in the OS sandbox, and in words why (not)."""

    available: bool
    tool: str  # the bubblewrap binary, or ""
    reason: str

    @property
    def summary(self) -> str:
        if self.available:
            return f"learner code runs in an OS sandbox (bubblewrap: {self.tool})"
        return f"learner code runs WITHOUT an OS sandbox: {self.reason}"


def find_bwrap() -> str | None:
    """The bubblewrap binary: ``TUTOR_BWRAP``, then the one bundled with a frozen app, then PATH."""
    if os.environ.get(ENV_BWRAP):
        path = os.environ[ENV_BWRAP]
        return path if os.access(path, os.X_OK) else None
    if getattr(sys, "frozen", False):
        bundled = Path(getattr(sys, "_MEIPASS", Path(sys.executable).parent)) / "bwrap"
        if os.access(bundled, os.X_OK):
            return str(bundled)
    return shutil.which("bwrap")


@functools.cache
def sandbox_status() -> SandboxStatus:
    """Probe once per process whether bubblewrap can start a sandbox here (about 10 ms)."""
    if not sys.platform.startswith("linux"):
        return SandboxStatus(
            False, "", f"no OS sandbox is built for {sys.platform} yet (see packaging/SANDBOX.md)"
        )
    tool = find_bwrap()
    if tool is None:
        where = f"{ENV_BWRAP}={os.environ[ENV_BWRAP]} is not executable" if os.environ.get(ENV_BWRAP) else ""
        return SandboxStatus(
            False, "", where or "bubblewrap (bwrap) is not installed; packaging/install.sh installs it"
        )
    try:
        probe = subprocess.run(
            [tool, *namespace_args(), "--ro-bind", "/", "/", "--proc", "/proc", "--", "/bin/true"],
            capture_output=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return SandboxStatus(False, tool, f"bubblewrap could not start: {exc}")
    if probe.returncode != 0:
        said = probe.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = said[-1] if said else f"exit code {probe.returncode}"
        return SandboxStatus(
            False, tool, f"bubblewrap cannot make a sandbox here ({detail}); user namespaces may be off"
        )
    return SandboxStatus(True, tool, "")


def running_as_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def namespace_args() -> list[str]:
    """New PID, network, IPC and UTS namespaces; a user namespace only when not root (see the module text)."""
    shared = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if running_as_root():  # keep only what the harness needs to become nobody
        return [*shared, "--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                "--cap-add", "CAP_CHOWN"]  # fmt: skip
    return ["--unshare-user", "--disable-userns", *shared, "--cap-drop", "ALL"]


@functools.cache
def _read_only_tree() -> tuple[str, ...]:
    """``/usr`` and the top-level links into it (``/bin``, ``/lib``, ...), as on this system."""
    args = ["--ro-bind", "/usr", "/usr"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return tuple(args)


def _visible_dirs(paths: Sequence[str]) -> list[str]:
    """Read-only binds of ``paths`` at the same place, their parents made traversable (bubblewrap would create
    them mode 0700, closed to nobody)."""
    args: list[str] = []
    made: set[str] = {"/", "/usr", "/tmp", "/etc", SCRIPT_DIR}
    for path in sorted(set(paths)):
        if path.startswith("/usr/") or path == "/usr":
            continue
        for parent in reversed(Path(path).parents):
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", path, path]
    return args


def python_dirs() -> list[str]:
    """What the harness's interpreter needs: its installation (not a virtual environment: ``-I -S``), or the
    frozen app's folder."""
    if getattr(sys, "frozen", False):
        return [str(Path(sys.executable).resolve().parent)]
    dirs = {os.path.realpath(sys.base_prefix), os.path.realpath(sys.base_exec_prefix)}
    dirs.add(str(Path(os.path.realpath(sys.executable)).parent))
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + os.sep) for o in dirs))


def sandbox_command(tool: str, inner: Sequence[str], script: str | None, seccomp_fd: int | None) -> list[str]:
    """``bwrap ... -- inner``: the harness command ``inner`` in a fresh sandbox; ``script`` (the harness file,
    when not frozen) is bound at ``/sandbox/child.py`` and its parts beside it."""
    args = [tool, *namespace_args(), "--die-with-parent", "--new-session", "--hostname", "sandbox"]
    args += list(_read_only_tree())
    args += ["--perms", "0755", "--dir", "/etc"]
    for name in ETC_FILES:
        args += ["--ro-bind-try", name, name]
    # the tmpfs first: an app or a Python installed under /tmp is bound on top of it, not hidden by it
    args += ["--size", str(TMPFS_BYTES), "--perms", "1777", "--tmpfs", "/tmp"]
    args += ["--perms", "0777", "--dir", WORKDIR]
    args += _visible_dirs(python_dirs())
    if script is not None:
        args += ["--perms", "0755", "--dir", SCRIPT_DIR, "--ro-bind", script, f"{SCRIPT_DIR}/child.py"]
        for part in CHILD_PARTS:
            args += ["--ro-bind", str(Path(script).with_name(part)), f"{SCRIPT_DIR}/{part}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--chdir", WORKDIR]
    if seccomp_fd is not None:
        args += ["--seccomp", str(seccomp_fd)]
    return [*args, "--", *inner]


def seccomp_pipe() -> int | None:
    """A pipe's read end holding the seccomp program (bubblewrap reads it to the end), or None."""
    program = filter_program()
    if program is None:
        return None
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, program)  # a few hundred bytes: within any pipe's buffer
    finally:
        os.close(write_fd)
    return read_fd
