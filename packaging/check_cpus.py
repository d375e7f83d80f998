"""Runs a tutor executable (the frozen app, or ``python -m tutor.cli``) on this CPU and on emulated older CPUs
(Debian's qemu-user) and checks that each picks a code path it can run and writes the same greedy tokens.

Usage: python packaging/check_cpus.py COMMAND...      e.g. dist/offline-tutor/offline-tutor
Exit status 0 when every CPU agrees; the figures are printed as one line per CPU.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TOKENS = 6
# Haswell: AVX2, no AVX-512 (x86-64-v3); Nehalem: SSE4.2, no AVX at all (x86-64-v2)
CPUS = {"host": None, "Haswell-v4": "haswell", "Nehalem": "sse42"}


def frozen_env(executable: str) -> dict[str, str]:
    """PyInstaller's one-folder bootloader sets these and re-executes itself; qemu-user cannot follow an exec
    (the new image would run natively), so under emulation we start it as the re-executed process directly."""
    exe = Path(executable).resolve()
    if not (exe.parent / "_internal").is_dir():
        return {}
    return {
        "_PYI_ARCHIVE_FILE": str(exe),
        "_PYI_PARENT_PROCESS_LEVEL": "-1",
        "_PYI_LINUX_PROCESS_NAME": exe.name,
        "LD_LIBRARY_PATH": str(exe.parent / "_internal"),
    }


def run(command: list[str], cpu: str | None) -> dict:
    prefix = [] if cpu is None else ["qemu-x86_64", "-cpu", cpu]
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": tempfile.mkdtemp(),
        "QT_QPA_PLATFORM": "offscreen",
        **({"PYTHONPATH": os.environ["PYTHONPATH"]} if "PYTHONPATH" in os.environ else {}),
        **(frozen_env(command[0]) if cpu is not None else {}),
    }
    start = time.perf_counter()
    result = subprocess.run(
        [*prefix, *command, "doctor", "--engine", "native", "--generate", str(TOKENS), "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
        stdin=subprocess.DEVNULL,
    )
    if result.returncode != 0:
        raise SystemExit(f"{cpu or 'host'}: exit {result.returncode}: {result.stderr[-1500:]}")
    report = json.loads(result.stdout)
    report["seconds"] = round(time.perf_counter() - start, 1)
    return report


def main(command: list[str]) -> int:
    if not shutil.which("qemu-x86_64"):
        print("qemu-user is not installed: only this CPU was checked", file=sys.stderr)
    texts, failed = set(), False
    for cpu, expected in CPUS.items():
        if cpu != "host" and not shutil.which("qemu-x86_64"):
            continue
        report = run(command, None if cpu == "host" else cpu)
        generation, path = report["generation"], report["cpu"].get("code_path", "?")
        ok = "error" not in generation and (expected is None or path == expected)
        failed |= not ok
        texts.add(generation.get("text"))
        print(
            f"{cpu:<11} code path {path:<11} {report['seconds']:>6.1f} s  {generation.get('text', generation)!r}"
        )
    if len(texts) != 1:
        print("the CPUs disagree on the greedy tokens", file=sys.stderr)
        failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
