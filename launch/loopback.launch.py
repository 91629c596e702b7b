"""Encoder and decoder on one machine, for a local check of a camera pair:

    ros2 launch rgbir_compress loopback.launch.py rgb_topic:=/cam/image_raw thermal_topic:=/ir/image_raw codec:=jpeg

Decoded images appear on `decoded/rgb/image` and `decoded/thermal/image`.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.substitutions import FindPackageShare

ENCODER_ARGS = ("rgb_topic", "thermal_topic", "codec", "quality", "target_kbps", "device")


def generate_launch_description():
    share = FindPackageShare("rgbir_compress")
    include = lambda name, args: IncludeLaunchDescription(  # noqa: E731
        PythonLaunchDescriptionSource(PathJoinSubstitution([share, "launch", name])),
        launch_arguments=list(args.items()),
    )
    arg = LaunchConfiguration
    return LaunchDescription([
        DeclareLaunchArgument("rgb_topic", default_value="rgb/image_raw", description="Colour camera topic"),
        DeclareLaunchArgument("thermal_topic", default_value="thermal/image_raw", description="Thermal camera topic"),
        DeclareLaunchArgument("compressed_topic", default_value="compressed", description="Link topic"),
        DeclareLaunchArgument("codec", default_value="", description="Codec; empty = config/encoder.yaml's"),
        DeclareLaunchArgument("quality", default_value="", description="Quality in [0, 1]"),
        DeclareLaunchArgument("target_kbps", default_value="", description="Link budget kbit/s"),
        DeclareLaunchArgument("device", default_value="", description="auto, cpu, cuda"),
        include("encoder.launch.py", {**{k: arg(k) for k in ENCODER_ARGS},
                                      "compressed_topic": arg("compressed_topic")}),
        include("decoder.launch.py", {"compressed_topic": arg("compressed_topic"), "device": arg("device"),
                                      "rgb_topic": "decoded/rgb/image", "thermal_topic": "decoded/thermal/image"}),
    ])
