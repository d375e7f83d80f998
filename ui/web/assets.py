"""Builds the engine page into ``resources/web/``: our page (``ui/web/page``) plus wllama's ES module build and
wasm from ``ui/web/node_modules`` (installed by ``npm ci`` from the lockfile). Run: ``python -m ui.web.assets``.
Nothing is ever loaded from a CDN."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from tutor.paths import resources_dir

HERE = Path(__file__).resolve().parent


def build(target: Path | None = None) -> Path:
    target = target or resources_dir() / "web"
    wllama = HERE / "node_modules" / "@wllama" / "wllama" / "esm"
    if not (wllama / "index.js").is_file():
        raise SystemExit(f"wllama is not installed: run `npm ci` in {HERE}")
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(HERE / "page", target)
    shutil.copytree(wllama, target / "wllama", ignore=shutil.ignore_patterns("*.d.ts", "*.map", "*.cjs"))
    shutil.copy2(HERE / "node_modules" / "@wllama" / "wllama" / "LICENCE", target / "wllama" / "LICENCE")
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
