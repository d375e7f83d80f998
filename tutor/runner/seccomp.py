"""A seccomp filter for the sandbox: the system calls learner code never needs, refused with EPERM.

Bubblewrap (``--seccomp FD``) loads a classic BPF program that it reads from a file descriptor, just before it
starts the harness. The program is written here by hand (a few dozen instructions) rather than with libseccomp,
whose Python binding is not on PyPI. What it refuses: debugging other processes (ptrace, process_vm_*), mounting
and namespaces (mount, unshare, setns, clone with namespace flags; clone3 answers ENOSYS so the C library falls back
to clone, whose flags can be checked), loading kernel code (bpf, modules, kexec), keyrings, perf, io_uring,
userfaultfd, file handles, and the clock, swap and reboot calls. Calls from another ABI (32-bit x86, x32) are
refused whole. Only x86-64 and AArch64 are known; elsewhere no filter is built and the namespaces stand alone.
"""

from __future__ import annotations

import errno
import functools
import platform
import struct

# classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h)
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000
_OFFSET_NR, _OFFSET_ARCH, _OFFSET_ARG0 = 0, 4, 16

_NAMESPACE_FLAGS = 0x7E020000  # CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET
_X32_BIT = 0x40000000

_SPECIAL = ("clone", "clone3")  # every other call named below is refused outright

# (audit arch, syscall numbers by name) per machine
_ARCHES: dict[str, tuple[int, dict[str, int]]] = {
    "x86_64": (
        0xC000003E,
        {
            "ptrace": 101,
            "process_vm_readv": 310,
            "process_vm_writev": 311,
            "mount": 165,
            "umount2": 166,
            "pivot_root": 155,
            "chroot": 161,
            "unshare": 272,
            "setns": 308,
            "bpf": 321,
            "perf_event_open": 298,
            "keyctl": 250,
            "add_key": 248,
            "request_key": 249,
            "kexec_load": 246,
            "kexec_file_load": 320,
            "init_module": 175,
            "finit_module": 313,
            "delete_module": 176,
            "userfaultfd": 323,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_by_handle_at": 304,
            "name_to_handle_at": 303,
            "acct": 163,
            "swapon": 167,
            "swapoff": 168,
            "reboot": 169,
            "syslog": 103,
            "settimeofday": 164,
            "clock_settime": 227,
            "adjtimex": 159,
            "quotactl": 179,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "clone": 56,
            "clone3": 435,
        },
    ),  # fmt: skip
    "aarch64": (
        0xC00000B7,
        {
            "ptrace": 117,
            "process_vm_readv": 270,
            "process_vm_writev": 271,
            "mount": 40,
            "umount2": 39,
            "pivot_root": 41,
            "chroot": 51,
            "unshare": 97,
            "setns": 268,
            "bpf": 280,
            "perf_event_open": 241,
            "keyctl": 219,
            "add_key": 217,
            "request_key": 218,
            "kexec_load": 104,
            "kexec_file_load": 294,
            "init_module": 105,
            "finit_module": 273,
            "delete_module": 106,
            "userfaultfd": 282,
            "io_uring_setup": 425,
            "io_uring_enter": 426,
            "io_uring_register": 427,
            "open_by_handle_at": 265,
            "name_to_handle_at": 264,
            "acct": 89,
            "swapon": 224,
            "swapoff": 225,
            "reboot": 142,
            "syslog": 116,
            "settimeofday": 170,
            "clock_settime": 112,
            "adjtimex": 171,
            "quotactl": 60,
            "open_tree": 428,
            "move_mount": 429,
            "fsopen": 430,
            "fsconfig": 431,
            "fsmount": 432,
            "fspick": 433,
            "mount_setattr": 442,
            "clone": 220,
            "clone3": 435,
        },
    ),  # fmt: skip
}
_ALIASES = {"amd64": "x86_64", "arm64": "aarch64"}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def _instructions(arch: int, numbers: dict[str, int], x86: bool) -> list[bytes]:
    refuse = _op(_RET_K, _RET_ERRNO | errno.EPERM)
    program = [_op(_LD_W_ABS, _OFFSET_ARCH), _op(_JEQ_K, arch, jt=1), refuse, _op(_LD_W_ABS, _OFFSET_NR)]
    if x86:
        program += [_op(_JGE_K, _X32_BIT, jf=1), refuse]
    for name, number in numbers.items():
        if name not in _SPECIAL:
            program += [_op(_JEQ_K, number, jf=1), refuse]
    program += [_op(_JEQ_K, numbers["clone3"], jf=1), _op(_RET_K, _RET_ERRNO | errno.ENOSYS)]
    program += [
        _op(_JEQ_K, numbers["clone"], jf=3),
        _op(_LD_W_ABS, _OFFSET_ARG0),
        _op(_JSET_K, _NAMESPACE_FLAGS, jf=1),
        refuse,
        _op(_RET_K, _RET_ALLOW),
    ]
    return program


@functools.cache
def filter_program(machine: str | None = None) -> bytes | None:
    """The BPF program for ``machine`` (default: this one), as bubblewrap reads it; None where unknown."""
    name = (machine or platform.machine()).lower()
    name = _ALIASES.get(name, name)
    if name not in _ARCHES:
        return None
    arch, numbers = _ARCHES[name]
    return b"".join(_instructions(arch, numbers, x86=name == "x86_64"))
