"""The codec the tools use when none is named (ROS encoder node, demo, bag compress), in one place.

`auto` (codecs/auto.py, issue 18): where CUDA runs it, the best shipped learned codec (the
hyperprior: 7.6 % / 22.1 % less rate than JPEG at equal PSNR on val/m3fd, README); on a CPU, where
the learned codecs manage 1-2 pairs per second at 640x512, the classical speed preset with the
best measured rate-distortion that keeps the frame rate (speed_table.py, checked by a short
calibration at start). An explicit codec always wins.
Where the chosen codec cannot be loaded, the tools warn and use FALLBACK_CODEC.
"""
DEFAULT_CODEC = "auto"
#: What `auto` runs where CUDA is available (also speed_table.LEARNED).
BEST_LEARNED_CODEC = "hyperprior"
#: Used when the chosen codec cannot be loaded (no torch, no weights).
FALLBACK_CODEC = "jpeg"
#: What to suggest to a CPU-only robot running a learned codec: auto keeps the frame rate there.
REALTIME_CPU_CODEC = "auto"
