#!/usr/bin/env bash
# Fetch the wheels the GPU device machine lacks into .whl/ (git-ignored), for Python 3.12 x86-64.
# That machine has no network: it installs these with --no-index --no-deps (tools/device_train.sh).
# Its image already holds torch, torchvision, numpy, scipy, pandas, matplotlib, einops,
# torch-geometric, pillow, pyyaml, tqdm and tensorboard (/work/.library/device/KINDS.md); missing
# are compressai (numpy<2 pin is wrong, hence --no-deps) and its pure-Python need pytorch-msssim.
# imagecodecs (classical codecs, ~45 MB) is not carried: training and learned validation do not need it.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
rm -rf .whl && mkdir -p .whl
plat=()
for p in manylinux_2_28_x86_64 manylinux_2_27_x86_64 manylinux_2_17_x86_64 manylinux2014_x86_64 \
         manylinux1_x86_64 manylinux_2_24_x86_64 manylinux_2_31_x86_64 manylinux_2_34_x86_64 manylinux_2_35_x86_64; do
    plat+=(--platform "$p")
done
"$PY" -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    "${plat[@]}" -d .whl compressai==1.2.8 pytorch-msssim==1.0.0
ls -l .whl
du -sh .whl
