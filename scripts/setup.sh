#!/usr/bin/env bash
# One-shot set-up on a fresh machine: system GL libraries, a virtualenv in .venv, the package.
#   bash scripts/setup.sh          runtime only
#   bash scripts/setup.sh test     also the test tools (pytest, hypothesis, gltf-validator)
set -euo pipefail
cd "$(dirname "$0")/.."
want_tests=${1:-}

# Headless OpenGL on the CPU (OSMesa) for the Pyrender reference renderer.
if ! ldconfig -p 2>/dev/null | grep -q libOSMesa; then
  if [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq libosmesa6 libglu1-mesa) >/dev/null
  else
    echo "setup: libOSMesa is missing; run 'sudo apt-get install libosmesa6 libglu1-mesa' and try again" >&2
    exit 1
  fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
py=.venv/bin/python
$py -m pip install -q --upgrade pip >/dev/null
# torch==2.13.0 is a CPU build on local disk; plain `torch` would pull a multi-GB CUDA build.
$py -c "import torch" 2>/dev/null || $py -m pip install -q torch==2.13.0
if [ "$want_tests" = test ]; then
  $py -m pip install -q -e '.[test]'
  # Node clients for the tests (Khronos glTF validator); tests that need them skip without them.
  if command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund >/dev/null 2>&1 || echo "setup: npm install failed; glTF client tests will skip"
  fi
else
  $py -m pip install -q -e .
fi
echo "setup: ready (.venv)"
