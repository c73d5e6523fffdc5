#!/usr/bin/env bash
# One-shot set-up on a fresh machine: system GL libraries, a virtualenv in .venv, the package.
#   bash scripts/setup.sh          runtime only
#   bash scripts/setup.sh test     also the test tools (pytest, hypothesis, gltf-validator) and Blender's bpy
#   bash scripts/setup.sh blender  runtime plus Blender's bpy (for `iggan-assets blender fbx`, --renderer blender)
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-}

# Blender's bpy in its own venv, since bpy 5.0.1 pins numpy 1.26 and would downgrade .venv (~15 s, 374 MB).
# A failure only makes the Blender features ask for it again (and their tests skip). IGGAN_SKIP_BLENDER=1 skips it.
install_blender() {
  if [ ! -x .venv-blender/bin/python ] && [ "${IGGAN_SKIP_BLENDER:-}" != 1 ]; then
    (python3 -m venv .venv-blender && .venv-blender/bin/python -m pip install -q bpy==5.0.1) >/dev/null 2>&1 \
      || { rm -rf .venv-blender; echo "setup: bpy install failed; Blender features and tests will not work"; }
  fi
}

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
if [ "$mode" = test ]; then
  $py -m pip install -q -e '.[test,usd]'
  # Node clients for the tests (Khronos glTF validator); tests that need them skip without them.
  if command -v npm >/dev/null; then
    npm install --silent --no-audit --no-fund >/dev/null 2>&1 || echo "setup: npm install failed; glTF client tests will skip"
  fi
  # Real-client tests (tests/test_clients.py): Debian's chromium for three.js and <model-viewer>
  # (~20 s); a failure only makes those tests skip.
  if ! command -v chromium >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq chromium) >/dev/null 2>&1 || echo "setup: chromium install failed; browser client tests will skip"
  fi
  # The Godot 3 game engine's glTF importer, run headless under Xvfb (tests/test_clients.py; ~10 s,
  # 70 MB). Without it that test skips.
  if ! { command -v godot3 && command -v xvfb-run && command -v xauth; } >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq godot3 xvfb xauth) >/dev/null 2>&1 \
      || echo "setup: godot3 install failed; the Godot client test will skip"
  fi
  # The Open Asset Import Library's command line (the importer of the O3DE engine and many tools;
  # tests/test_clients.py; ~10 MB). Without it that test skips.
  if ! command -v assimp >/dev/null && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq assimp-utils) >/dev/null 2>&1 \
      || echo "setup: assimp-utils install failed; the assimp client test will skip"
  fi
  # Real Sweet Home 3D catalogs for the catalog-reader test (tests/test_meshes.py; ~30 s, 120 MB);
  # the same package provides the training chairs and sofas (BENCHMARKS.md). Without it that test skips.
  if [ ! -d /usr/share/sweethome3d/furniture ] && [ "$(id -u)" = 0 ]; then
    (apt-get update -qq && apt-get install -y -qq sweethome3d-furniture) >/dev/null 2>&1 \
      || echo "setup: sweethome3d-furniture install failed; the catalog test will skip"
  fi
  install_blender
else
  # usd-core (Pixar's USD, 28 MB) for `iggan-assets usdz`
  $py -m pip install -q -e '.[usd]'
  if [ "$mode" = blender ]; then install_blender; fi
fi
echo "setup: ready (.venv)"
