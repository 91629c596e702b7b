"""pip entry point for the ROS-free library; colcon builds the same tree through CMakeLists.txt."""
from setuptools import setup

setup()
