"""Harnesses that run the ROS nodes end to end (tests, the demo, the node benchmark): a probe node,
node subprocesses on a loopback-only DDS profile, timed sessions with PSNR. Not needed at run time
on a robot; imports rclpy."""
