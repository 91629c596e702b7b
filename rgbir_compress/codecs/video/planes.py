"""numpy plane <-> av.VideoFrame, with the padding the encoders need.

4:2:0 needs even sides and SVT-AV1 at least 64: frames are padded by repeating the last row and
column (cheap to code) and the decoder crops back to the size it was given. Grey that an encoder
cannot code as 4:0:0 goes in as the Y plane of a yuv420p frame with flat chroma, sample for sample
(no range conversion), and comes back as that Y plane.
"""
from __future__ import annotations

import numpy as np

from ...errors import DecodeError, EncodeError

#: pixel format -> (dtype, bits) for grey planes
GREY = {"gray": (np.uint8, 8), "gray10le": (np.uint16, 10), "gray12le": (np.uint16, 12)}
HIGH_DEPTH_YUV = {10: "yuv420p10le", 12: "yuv420p12le"}


def padded_size(width: int, height: int, min_side: int = 0) -> tuple[int, int]:
    def side(n: int) -> int:
        return max(n + (n & 1), min_side)
    return side(width), side(height)


def pad_to(plane: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = plane.shape[:2]
    if (h, w) == (height, width):
        return np.ascontiguousarray(plane)
    widths = [(0, height - h), (0, width - w)] + [(0, 0)] * (plane.ndim - 2)
    return np.pad(plane, widths, mode="edge")


def check_plane(plane: np.ndarray, pix_fmt: str, width: int, height: int) -> None:
    if pix_fmt == "yuv420p":
        if plane.dtype != np.uint8 or plane.shape != (height, width, 3):
            raise EncodeError(f"colour needs {height}x{width}x3 uint8 RGB, got {plane.shape} {plane.dtype}")
        return
    dtype, bits = GREY[pix_fmt]
    if plane.dtype != dtype or plane.shape != (height, width):
        raise EncodeError(f"{pix_fmt} needs {height}x{width} {np.dtype(dtype).name}, got {plane.shape} {plane.dtype}")
    if bits < 16 and bits > 8 and int(plane.max(initial=0)) >= 1 << bits:
        raise EncodeError(f"{pix_fmt} holds {bits}-bit samples; got a value of {int(plane.max())} (scale first)")


def to_frame(plane: np.ndarray, pix_fmt: str, coded_fmt: str, width: int, height: int):
    """An av.VideoFrame in the encoder's `coded_fmt`, padded to width x height."""
    import av

    plane = pad_to(plane, width, height)
    if pix_fmt == "yuv420p":
        return av.VideoFrame.from_ndarray(plane, format="rgb24").reformat(format=coded_fmt)
    if coded_fmt == pix_fmt:
        return av.VideoFrame.from_ndarray(plane, format=pix_fmt)
    # grey as Y of a 4:2:0 frame, chroma at mid grey
    mid = 1 << (GREY[pix_fmt][1] - 1)
    chroma = np.full((height // 2, width), mid, plane.dtype)
    return av.VideoFrame.from_ndarray(np.concatenate([plane, chroma]), format=coded_fmt)


def from_frame(frame, pix_fmt: str, width: int, height: int) -> np.ndarray:
    """The decoded frame as the plane that was encoded, cropped to width x height."""
    if frame.width < width or frame.height < height:
        raise DecodeError(f"decoded frame {frame.width}x{frame.height} is smaller than {width}x{height}")
    if pix_fmt == "yuv420p":
        return frame.to_ndarray(format="rgb24")[:height, :width]
    dtype, bits = GREY[pix_fmt]
    name = frame.format.name
    if name.startswith("gray"):
        plane = frame.to_ndarray()
    else:  # Y plane of a YUV frame (flat chroma), no range conversion
        y = frame.planes[0]
        item = 1 if dtype == np.uint8 else 2
        rows = np.frombuffer(y, np.uint8).reshape(y.height, y.line_size)
        plane = rows[:, : y.width * item].copy().view(dtype)
    if plane.dtype != dtype:
        raise DecodeError(f"decoded {name} does not carry {pix_fmt} samples")
    return np.ascontiguousarray(plane[:height, :width])
