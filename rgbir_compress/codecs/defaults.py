"""The codec the tools use when none is named (ROS encoder, bag compress), in one place.

JPEG today: on val/m3fd the learned baseline (19,000 CPU training steps so far) needs 7.6 % / 15.1 %
less rate than JPEG (README, "Measured results"), but it is ~100x slower on a CPU, so a CPU-only
robot would drop most frames at 10 Hz. Next step: pick the learned codec by default where a GPU
runs it.
"""
DEFAULT_CODEC = "jpeg"
#: Used when the chosen codec cannot be loaded (no torch, no weights).
FALLBACK_CODEC = "jpeg"
