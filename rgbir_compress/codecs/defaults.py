"""The codec the tools use when none is named (ROS encoder, bag compress), in one place.

JPEG today: on val/m3fd the learned baseline, after its 8,000 CPU training steps so far, is not yet
better than JPEG (README, "Measured results") and is ~100x slower on a CPU. Switch this to the best
learned codec once one beats the classical codecs there.
"""
DEFAULT_CODEC = "jpeg"
#: Used when the chosen codec cannot be loaded (no torch, no weights).
FALLBACK_CODEC = "jpeg"
