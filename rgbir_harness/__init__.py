"""Harnesses that run the ROS nodes end to end (tests, the demo, the node benchmark): a probe node,
node subprocesses on a loopback-only DDS profile, timed sessions with PSNR. Imports rclpy.

Development tooling, not part of the installed package (setup.cfg and CMakeLists.txt install
rgbir_compress/ only): tools/*.py import it from the source tree, the tests through conftest.py."""
