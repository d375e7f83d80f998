#!/usr/bin/env bash
# Builds the desktop executable (PyInstaller, one folder) and a versioned tarball, then checks the frozen app:
# `offline-tutor app --self-test` offscreen with networking cut off (unshare -n, where available).
# Usage: bash packaging/build.sh [--no-model] [--no-check]     (after packaging/install.sh)
# Output: dist/offline-tutor/ and dist/offline-tutor-VERSION-linux-ARCH.tar.gz
set -euo pipefail
cd "$(dirname "$0")/.."
bundle=1 check=1
for arg in "$@"; do
  case "$arg" in --no-model) bundle=0 ;; --no-check) check=0 ;; *) echo "unknown option $arg" >&2; exit 2 ;; esac
done
py=.venv/bin/python
$py -m pip install -q "pyinstaller>=6.10,<7" 2>&1 | grep -v -i warning || true
version=$($py -c "import tutor; print(tutor.__version__)")
model=""
if [ "$bundle" = 1 ]; then
  # the default (the fine-tune where RAM allows) and the Gemma base (the default where RAM is short), verified
  model=$($py -c "import os, tempfile; from pathlib import Path; from tutor.models.default_model import ensure_base_model, ensure_default_model; f = Path(tempfile.gettempdir()) / 'tutor-build-model'; print(os.pathsep.join(dict.fromkeys(str(p) for p in (ensure_default_model(folder=f), ensure_base_model(folder=f)))))")
fi
echo "==> PyInstaller (model bundled: $bundle)"
TUTOR_BUNDLE_MODEL=$bundle TUTOR_MODEL_FILE="$model" .venv/bin/pyinstaller --noconfirm --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/tutor.spec
rm -rf build/pyinstaller  # PyInstaller's work folder: hundreds of MB that nothing reads again
# trim what the app never uses: QML modules, and Chromium's UI translations except en-US (the engine page shows
# no browser UI); the checks below run on the trimmed bundle
qt=dist/offline-tutor/_internal/PySide6/Qt
rm -rf "$qt/qml"
find "$qt/translations/qtwebengine_locales" -name '*.pak' ! -name 'en-US.pak' -delete 2>/dev/null || true
cp packaging/offline-tutor.desktop resources/icons/offline-tutor.svg dist/offline-tutor/
cp packaging/SCHOOLS.md dist/offline-tutor/ 2>/dev/null || true
tarball="dist/offline-tutor-$version-linux-$(uname -m).tar.gz"
tar -C dist -czf "$tarball" offline-tutor
echo "==> bundle: $(du -sh dist/offline-tutor | cut -f1), tarball: $(du -sh "$tarball" | cut -f1) ($tarball)"
echo "==> largest parts:"
du -ah dist/offline-tutor/_internal | sort -rh | sed -n '2,9p'
if [ "$check" = 1 ]; then
  echo "==> frozen self-test, offscreen, no network"
  offline=()
  unshare -n true 2>/dev/null && offline=(unshare -n)
  home=$(mktemp -d)
  selftest=$(env -i PATH="$PATH" HOME="$home" QT_QPA_PLATFORM=offscreen "${offline[@]}" dist/offline-tutor/offline-tutor app --self-test)
  echo "$selftest"
  # the frozen app runs the default model it carries: the fine-tune where RAM allows, else the Gemma base
  expected=$($py -c "from tutor.models.default_model import BASE_FILE, default_entry; e = default_entry(); print(e.file if e else BASE_FILE)")
  echo "$selftest" | "$py" -c "import json, sys; d = json.load(sys.stdin); sys.exit(None if d['model_file'] == sys.argv[1] else f'the frozen app ran {d[\"model_file\"]}, not {sys.argv[1]}')" "$expected"
  echo "==> frozen browser engine (Qt WebEngine in the bundle): tutor doctor"
  env -i PATH="$PATH" HOME="$home" QT_QPA_PLATFORM=offscreen dist/offline-tutor/offline-tutor doctor --json \
    | "$py" -c "import json, sys; e = json.load(sys.stdin)['engines']; print(e); sys.exit('wllama' not in e['browser'])"
  echo "==> frozen OS sandbox: the bundled bubblewrap runs a hostile program (it tries to leave a file behind)"
  probe=$(mktemp -d)
  cat > "$probe/attack.py" <<EOF
import os, sys
harness = sys.modules.get("tutor.runner.child") or sys.modules["__main__"]
harness.BLOCKED_EVENTS.clear()  # the in-process guard off: only the OS sandbox is left
os.system("touch $probe/escaped")
def is_palindrome(text):
    return os.getuid()
EOF
  env -i PATH="$PATH" HOME="$home" dist/offline-tutor/offline-tutor doctor --json \
    | "$py" -c "import json, sys; s = json.load(sys.stdin)['sandbox']; print(s); sys.exit('offline-tutor/_internal/bwrap' not in s)"
  out=$(env -i PATH="$PATH" HOME="$home" dist/offline-tutor/offline-tutor check -e palindrome "$probe/attack.py" 2>&1 || true)
  echo "$out"
  case "$out" in *"could not start"*|*"interfered"*) echo "the frozen harness did not run"; exit 1 ;; esac
  case "$out" in *"Expected True, got "*) ;; *) echo "the frozen harness gave no value"; exit 1 ;; esac
  [ ! -e "$probe/escaped" ] || { echo "the frozen sandbox let a program write outside it"; exit 1; }
  rm -rf "$probe"
  if [ "$(uname -m)" = x86_64 ]; then
    echo "==> frozen app on this CPU and on emulated older CPUs (qemu-user): same greedy tokens"
    "$py" packaging/check_cpus.py dist/offline-tutor/offline-tutor
  fi
fi
