"""ROS 2 layer: encoder and decoder nodes, pairing, parameters, diagnostics (harnesses: `testing/`).

The only runtime part of the project that imports rclpy. Importing this package itself does not,
and the helpers `sync`, `stats` and `params` (its tables) are ROS-free, so they are usable and
tested without ROS.
"""
