"""Encoder node on the vehicle: camera images in, CompressedRGBIR out.

    ros2 launch rgbir_compress encoder.launch.py rgb_topic:=/cam/color/image_raw \
        thermal_topic:=/flir/image_raw codec:=jpeg target_kbps:=2000

Parameters come from `params_file` (default: the package's config/encoder.yaml); the codec,
quality, target_kbps and device arguments override it only when given.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

OVERRIDES = {"codec": str, "quality": float, "target_kbps": float, "device": str}


def _encoder(context, *args, **kwargs):
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    overrides = {name: kind(arg(name)) for name, kind in OVERRIDES.items() if arg(name)}
    return [Node(
        package="rgbir_compress", executable="encoder_node", name=arg("node_name"), namespace=arg("namespace"),
        output="screen", parameters=[arg("params_file"), overrides],
        remappings=[("rgb/image_raw", arg("rgb_topic")), ("thermal/image_raw", arg("thermal_topic")),
                    ("compressed", arg("compressed_topic"))],
    )]


def generate_launch_description():
    default_params = PathJoinSubstitution([FindPackageShare("rgbir_compress"), "config", "encoder.yaml"])
    return LaunchDescription([
        DeclareLaunchArgument("rgb_topic", default_value="rgb/image_raw", description="Colour sensor_msgs/Image topic"),
        DeclareLaunchArgument("thermal_topic", default_value="thermal/image_raw",
                              description="Thermal sensor_msgs/Image topic (mono8 or mono16)"),
        DeclareLaunchArgument("compressed_topic", default_value="compressed",
                              description="Output CompressedRGBIR topic"),
        DeclareLaunchArgument("params_file", default_value=default_params, description="Encoder parameters YAML"),
        DeclareLaunchArgument("codec", default_value="", description="Codec; empty = params_file's"),
        DeclareLaunchArgument("quality", default_value="", description="Quality in [0, 1]; empty = params_file's"),
        DeclareLaunchArgument("target_kbps", default_value="",
                              description="Link budget kbit/s (0 = fixed quality); empty = params_file's"),
        DeclareLaunchArgument("device", default_value="", description="auto, cpu, cuda; empty = params_file's"),
        DeclareLaunchArgument("node_name", default_value="rgbir_encoder", description="Node name"),
        DeclareLaunchArgument("namespace", default_value="", description="Node namespace"),
        OpaqueFunction(function=_encoder),
    ])
