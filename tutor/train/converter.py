"""llama.cpp's own HF -> GGUF converter (``convert_hf_to_gguf.py``), taken from the llama-cpp-python sdist.

The sdist of the installed llama-cpp-python version carries llama.cpp's source under ``vendor/llama.cpp``; we
keep only the converter, its ``conversion/`` package and the ``gguf-py`` it is written for (it puts that on its
path itself), in a cache folder: ``/var/cache/offline-tutor/src`` when writable, else
``~/.cache/offline-tutor/src`` (``TUTOR_LLAMA_CPP_SRC`` names a llama.cpp source folder directly).
``packaging/install.sh`` fetches it once (``python -m tutor.train.converter --fetch``, through pip from the
package index); after that everything works offline.

    python -m tutor.train.converter --fetch [--sdist FILE.tar.gz]   # fetch (or unpack a given sdist) once
    python -m tutor.train.converter                                 # print where the converter is
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib import metadata
from pathlib import Path

from tutor.train.base_model import TrainError

SCRIPT = "convert_hf_to_gguf.py"
LORA_SCRIPT = "convert_lora_to_gguf.py"  # a PEFT adapter -> a llama.cpp LoRA GGUF
KEEP = (SCRIPT, LORA_SCRIPT, "conversion/", "gguf-py/", "LICENSE")  # what we need of vendor/llama.cpp


def llama_cpp_version() -> str:
    try:
        return metadata.version("llama_cpp_python")
    except metadata.PackageNotFoundError:
        return "0.3.36"


def cache_roots() -> list[Path]:
    home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return [Path("/var/cache/offline-tutor/src"), home / "offline-tutor" / "src"]


def _writable_root() -> Path:
    for root in cache_roots():
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(root, os.W_OK):
            return root
    raise TrainError(
        "no writable cache folder for llama.cpp's converter (" + ", ".join(map(str, cache_roots())) + ")"
    )


def find_converter(name: str = SCRIPT) -> Path | None:
    """The converter script ``name`` (the model or the LoRA converter), or None when it was never fetched."""
    override = os.environ.get("TUTOR_LLAMA_CPP_SRC")
    if override:
        script = Path(override) / name
        return script if script.is_file() else None
    for root in cache_roots():
        script = root / f"llama.cpp-{llama_cpp_version()}" / name
        if script.is_file():
            return script
    return None


def require_converter(name: str = SCRIPT) -> Path:
    script = find_converter(name)
    if script is None:
        raise TrainError(
            "llama.cpp's converter is not here yet: run `python -m tutor.train.converter --fetch` once "
            "(packaging/install.sh --test does), or set TUTOR_LLAMA_CPP_SRC to a llama.cpp source folder"
        )
    return script


def unpack(sdist: Path, version: str) -> Path:
    """Extract the converter's files from the sdist into the cache; atomic (a partial folder is renamed)."""
    target = _writable_root() / f"llama.cpp-{version}"
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    prefix = f"llama_cpp_python-{version}/vendor/llama.cpp/"
    with tarfile.open(sdist) as archive:
        members = []
        for member in archive.getmembers():
            if member.name.startswith(prefix) and member.name[len(prefix) :].startswith(KEEP):
                member.name = member.name[len(prefix) :]
                members.append(member)
        for script in (SCRIPT, LORA_SCRIPT):
            if not any(m.name == script for m in members):
                raise TrainError(f"{sdist.name} has no vendor/llama.cpp/{script}")
        archive.extractall(partial, members=members, filter="data")
    shutil.rmtree(target, ignore_errors=True)
    partial.rename(target)
    return target / SCRIPT


def fetch(sdist: Path | None = None) -> Path:
    """Download the sdist of the installed llama-cpp-python with pip (unless given) and unpack the converter."""
    version = llama_cpp_version()
    if sdist is not None:
        return unpack(sdist, version)
    with tempfile.TemporaryDirectory(prefix="llama-cpp-sdist-") as folder:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        command += ["-d", folder, f"llama-cpp-python=={version}"]
        done = subprocess.run(command, capture_output=True, text=True)
        found = sorted(Path(folder).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode != 0 or not found:
            last = (done.stderr.strip().splitlines() or ["no sdist"])[-1]
            raise TrainError(f"could not download the llama-cpp-python {version} sdist with pip: {last}")
        return unpack(found[0], version)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tutor.train.converter", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--fetch", action="store_true", help="fetch the converter once (pip, package index)")
    parser.add_argument(
        "--sdist", type=Path, help="unpack this llama-cpp-python sdist instead of downloading"
    )
    args = parser.parse_args(argv)
    try:
        script = find_converter()
        complete = script is not None and find_converter(LORA_SCRIPT) is not None
        if args.fetch or args.sdist:
            script = fetch(args.sdist) if (args.sdist or not complete) else script
        if script is None:
            raise TrainError("not fetched yet (add --fetch)")
    except TrainError as exc:
        print(f"converter: error: {exc}", file=sys.stderr)
        return 2
    print(script)
    return 0


if __name__ == "__main__":
    sys.exit(main())
