"""The codec the tools use when none is named (ROS encoder node, bag compress), in one place.

DEFAULT_CODEC is the shipped learned codec with the best rate-distortion per unit of compute (how
it compares with the others: README, "Which codec", and docs/results_rd.md). A learned codec on a
CPU codes far fewer pairs per second than a camera delivers; the encoder node says so in its log and
drops the rest, counted. Where torch or the weights are missing, the tools warn and use
FALLBACK_CODEC.
"""
DEFAULT_CODEC = "hyperprior"
#: Used when the chosen codec cannot be loaded (no torch, no weights).
FALLBACK_CODEC = "jpeg"
#: The codec the encoder node suggests when a learned codec runs on a CPU: the fastest classical one.
REALTIME_CPU_CODEC = "jpeg"
