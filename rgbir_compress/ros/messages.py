"""The rclpy message classes the nodes build, bound to the project's ROS-free converters."""
from __future__ import annotations

import numpy as np
from builtin_interfaces.msg import Time
from sensor_msgs.msg import Image
from std_msgs.msg import Header

from ..frame import Stamp
from ..imagemsg import array_to_image


def to_image(arr: np.ndarray, encoding: str, stamp: Stamp, frame_id: str) -> Image:
    """A sensor_msgs/Image holding `arr` (imagemsg.array_to_image with rclpy's classes)."""
    return array_to_image(arr, encoding, stamp, frame_id, Image, Header, Time)
