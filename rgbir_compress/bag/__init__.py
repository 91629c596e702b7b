"""Rosbag tools on the `rosbags` library (no ROS install): compress, decompress, info, extract.

Entry points: compress.compress_bag, decompress.decompress_bag, info.bag_info, extract.extract_bag;
`cli.register` adds `rgbir-compress bag ...`. Nothing is imported here so the CLI starts fast.
"""
