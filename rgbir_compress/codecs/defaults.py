"""The codec the tools use when none is named (ROS encoder node, bag compress), in one place.

The best shipped learned codec: on val/m3fd the shipped hyperprior needs 7.6 % (colour) and 22.1 %
(thermal) less rate than JPEG at equal PSNR (README, "Measured results"); the shipped conditional
codec is no better and twice as slow. It runs in real time on a GPU; on a CPU it codes a 640x512
pair in about 0.37 + 0.44 s (README throughput table), so a CPU-only robot at 10 Hz
delivers a few pairs per second (the encoder node says so in its log and drops the rest, counted).
Where torch or the weights are missing, the tools warn and use FALLBACK_CODEC.
"""
DEFAULT_CODEC = "hyperprior"
#: Used when the chosen codec cannot be loaded (no torch, no weights).
FALLBACK_CODEC = "jpeg"
#: A classical codec that keeps up with 10 Hz 640x512 pairs on 2 CPU cores (README, ROS table).
REALTIME_CPU_CODEC = "jpeg"
