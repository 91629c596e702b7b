"""The codec the tools use when none is named (ROS encoder node, demo, bag compress), in one place.

`auto` (codecs/auto.py) runs the best measured rate-distortion that keeps the frame rate on the
machine it runs on; an explicit codec always wins. Where the chosen codec cannot be loaded, the
tools warn and use FALLBACK_CODEC.
"""
DEFAULT_CODEC = "auto"
#: Used when the chosen codec cannot be loaded (no torch, no weights), and by auto when its table
#: names nothing that runs here.
FALLBACK_CODEC = "jpeg"
