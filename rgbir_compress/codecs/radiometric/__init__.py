"""Full-precision coding of mono16 radiometric thermal frames (raw camera counts), ROS-free.

`encode_mono16(img, max_error, method)` -> EncodedMono16 (`.data` is the self-describing stream),
`decode_mono16(data, shape)` -> uint16 array. max_error 0 is bit exact; N > 0 keeps every count
within N, checked at encode time. The pair codecs send it as thermal_data when their
thermal_max_error is 0 or more (codecs/thermal_precision.py); -1 keeps the 8-bit window of thermal16.py.
"""
from .backends import BACKENDS
from .header import Header
from .mono16 import AUTO, METHODS, EncodedMono16, decode_mono16, encode_mono16, method_of, read_header

__all__ = ["AUTO", "BACKENDS", "METHODS", "EncodedMono16", "Header", "decode_mono16", "encode_mono16",
           "method_of", "read_header"]
