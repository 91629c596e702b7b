#!/usr/bin/env bash
# The main job on built-in defaults: bootstrap the environment, then run a synthetic RGB + thermal
# sequence through the encoder and decoder nodes over DDS on loopback (see tools/demo.py --help).
set -euo pipefail
cd "$(dirname "$0")/.."
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
./tools/bootstrap.sh
exec .venv/bin/python tools/demo.py "$@"
