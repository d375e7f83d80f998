#!/usr/bin/env bash
# Starts the app in a real X window (Xvfb), runs the learner loop on a known-buggy program and saves screenshots:
# docs/1-failing-tests.png (a failing test run) and docs/2-hint.png (a hint, with its explanation shown).
# Usage: bash packaging/screenshots.sh [OUTDIR]   (after packaging/install.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
out="${1:-docs}"
command -v xvfb-run >/dev/null || { echo "xvfb-run is missing: run packaging/install.sh first" >&2; exit 1; }
unset QT_QPA_PLATFORM
xvfb-run -a -s "-screen 0 1400x900x24" .venv/bin/tutor app --self-test --screenshots "$out"
echo "screenshots in $out/"
