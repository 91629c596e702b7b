"""rgbir_compress: joint compression of RGB + thermal image pairs.

The codec library (codecs, container, train, eval, bag) needs no ROS; only `rgbir_compress.ros`
imports rclpy. The generated message lives in `rgbir_compress.msg`, which a colcon install puts
beside this package and the development venv keeps in site-packages: extend_path finds it there.
"""
from pkgutil import extend_path

__path__ = extend_path(__path__, __name__)
__version__ = "0.1.0"
