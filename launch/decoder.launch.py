"""Decoder node across the link: CompressedRGBIR in, colour and thermal images out.

    ros2 launch rgbir_compress decoder.launch.py compressed_topic:=/vehicle/compressed

Parameters come from `params_file` (default: the package's config/decoder.yaml); `device` overrides
it only when given.
"""
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, OpaqueFunction
from launch.substitutions import LaunchConfiguration, PathJoinSubstitution
from launch_ros.actions import Node
from launch_ros.substitutions import FindPackageShare

OVERRIDES = {"device": str}


def _decoder(context, *args, **kwargs):
    arg = lambda name: LaunchConfiguration(name).perform(context)  # noqa: E731
    overrides = {name: kind(arg(name)) for name, kind in OVERRIDES.items() if arg(name)}
    return [Node(
        package="rgbir_compress", executable="decoder_node", name=arg("node_name"), namespace=arg("namespace"),
        output="screen", parameters=[arg("params_file"), overrides],
        remappings=[("compressed", arg("compressed_topic")), ("rgb/image", arg("rgb_topic")),
                    ("thermal/image", arg("thermal_topic"))],
    )]


def generate_launch_description():
    default_params = PathJoinSubstitution([FindPackageShare("rgbir_compress"), "config", "decoder.yaml"])
    return LaunchDescription([
        DeclareLaunchArgument("compressed_topic", default_value="compressed",
                              description="Input CompressedRGBIR topic"),
        DeclareLaunchArgument("rgb_topic", default_value="rgb/image", description="Decoded colour image topic"),
        DeclareLaunchArgument("thermal_topic", default_value="thermal/image", description="Decoded thermal image topic"),
        DeclareLaunchArgument("params_file", default_value=default_params, description="Decoder parameters YAML"),
        DeclareLaunchArgument("device", default_value="", description="auto, cpu, cuda; empty = params_file's"),
        DeclareLaunchArgument("node_name", default_value="rgbir_decoder", description="Node name"),
        DeclareLaunchArgument("namespace", default_value="", description="Node namespace"),
        OpaqueFunction(function=_decoder),
    ])
