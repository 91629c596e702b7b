#!/usr/bin/env bash
# The whole test suite, from a fresh clone: bootstrap the environment, then pytest.
# Extra arguments go to pytest (e.g. tools/test.sh -k container).
set -euo pipefail
cd "$(dirname "$0")/.."
export ROS_AUTOMATIC_DISCOVERY_RANGE=LOCALHOST
./tools/bootstrap.sh
exec .venv/bin/python -m pytest -q -p no:cacheprovider --timeout=900 "$@"
