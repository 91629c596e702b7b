"""ROS 2 layer: encoder and decoder nodes, image conversion, pairing, diagnostics.

The only part of the project that imports rclpy. Importing this package itself does not, so the
ROS-free helpers in it (sync, rate_control, stats) are usable and testable without ROS.
"""
