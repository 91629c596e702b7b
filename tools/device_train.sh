#!/usr/bin/env bash
# The one command for a lent GPU machine (docs/training.md, "Training on a lent GPU"):
#   bash tools/device_train.sh --config config/train/gpu_joint.yaml --minutes 5 [key=value ...]
# run from the repository root of a tree that carries .whl/ (tools/fetch_device_wheels.sh) and
# pack/train.pack (rgbir-compress train-pack). Installs the carried wheels if compressai is missing,
# records nvidia-smi, trains within --minutes counted from this script's start, and leaves in $OUT:
# weights.pth, log.csv, val.json, val.md, run.json, device.log (with nvidia-smi); a file above
# 16 MiB - 64 KiB comes as NAME.part0, NAME.part1 (cat them), since files over 16 MiB do not come back.
# PYTHON picks the interpreter (default python3); the test suite runs this script on CPU.
set -uo pipefail
export DEVICE_T0=${DEVICE_T0:-$(date +%s)}
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
export OUT=${OUT:-runs/device-out}
mkdir -p "$OUT"
if ! "$PY" -c "import compressai" 2>/dev/null; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
        || { echo "device_train.sh: installing .whl/*.whl failed" >&2; exit 3; }
    export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}   # the package runs from the tree, not installed
export PYTHONUNBUFFERED=1 TQDM_MININTERVAL=${TQDM_MININTERVAL:-20}
{ command -v nvidia-smi >/dev/null && nvidia-smi || echo "no nvidia-smi"; } 2>&1 | tee "$OUT/device.log"
"$PY" tools/device_train.py --out "$OUT" "$@" 2>&1 | tee -a "$OUT/device.log"
rc=${PIPESTATUS[0]}
if command -v nvidia-smi >/dev/null; then
    nvidia-smi --query-gpu=name,memory.used,memory.total,utilization.gpu,clocks.sm --format=csv 2>&1 | tee -a "$OUT/device.log"
fi
exit "$rc"
