"""Parameters, config files and launch files of the nodes.

The launch files need `launch` / `launch_ros`, which the PyPI ROS wheels do not carry: here they
are parsed, and exercised against small stand-ins of the launch API that record what the files
build; where the real packages are importable (a ROS 2 install) they are run through them too.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
import types
from pathlib import Path

import pytest
import yaml

from rgbir_compress.ros.params import DECODER_PARAMS, ENCODER_PARAMS, QOS_CHOICES, check_choice, defaults

REPO = Path(__file__).resolve().parents[1]
LAUNCH_FILES = ("encoder.launch.py", "decoder.launch.py", "loopback.launch.py")


@pytest.mark.parametrize("name, specs", [("encoder.yaml", ENCODER_PARAMS), ("decoder.yaml", DECODER_PARAMS)])
def test_config_files_hold_the_declared_defaults(name: str, specs) -> None:
    data = yaml.safe_load((REPO / "config" / name).read_text())
    params = data["/**"]["ros__parameters"]
    assert params == defaults(specs)
    for spec in specs:
        assert type(params[spec.name]) is type(spec.default), spec.name  # rclpy refuses 1 for a double
        assert spec.description
        if spec.range:
            assert spec.range[0] <= spec.default <= spec.range[1]
        assert check_choice(spec, spec.default) is None


def test_runtime_parameters_and_choices() -> None:
    runtime = {s.name for s in ENCODER_PARAMS if not s.read_only}
    assert runtime == {"quality", "target_kbps"}
    qos = next(s for s in ENCODER_PARAMS if s.name == "input_qos")
    assert qos.default == "sensor_data" and qos.choices == QOS_CHOICES
    assert check_choice(qos, "bogus")
    assert next(s for s in ENCODER_PARAMS if s.name == "output_qos").default == "reliable"


# -- launch files -----------------------------------------------------------------------------
@pytest.mark.parametrize("name", LAUNCH_FILES)
def test_launch_file_is_valid_python_defining_generate_launch_description(name: str) -> None:
    tree = ast.parse((REPO / "launch" / name).read_text(), filename=name)
    functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
    assert "generate_launch_description" in functions
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert any(m.startswith("launch_ros") for m in imported) and "launch" in imported


class _Recorder:
    """Stands in for any launch class: keeps its arguments."""

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs = args, kwargs


class _LaunchConfiguration(_Recorder):
    def perform(self, context) -> str:
        return context.values[self.args[0]]


class _Context:
    def __init__(self, values: dict[str, str]) -> None:
        self.values = values


def _stub_launch_api(monkeypatch) -> types.SimpleNamespace:
    classes = {name: type(name, (_Recorder,), {}) for name in (
        "LaunchDescription", "DeclareLaunchArgument", "OpaqueFunction", "PathJoinSubstitution",
        "IncludeLaunchDescription", "PythonLaunchDescriptionSource", "Node", "FindPackageShare")}
    classes["LaunchConfiguration"] = _LaunchConfiguration
    layout = {
        "launch": ["LaunchDescription"],
        "launch.actions": ["DeclareLaunchArgument", "OpaqueFunction", "IncludeLaunchDescription"],
        "launch.substitutions": ["LaunchConfiguration", "PathJoinSubstitution"],
        "launch.launch_description_sources": ["PythonLaunchDescriptionSource"],
        "launch_ros": [],
        "launch_ros.actions": ["Node"],
        "launch_ros.substitutions": ["FindPackageShare"],
    }
    for module, names in layout.items():
        mod = types.ModuleType(module)
        for n in names:
            setattr(mod, n, classes[n])
        monkeypatch.setitem(sys.modules, module, mod)
    return types.SimpleNamespace(**classes)


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name.replace(".", "_"), REPO / "launch" / name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _node_from(description, api, given: dict[str, str]):
    """Run the file's OpaqueFunction with the declared defaults overridden by `given`."""
    actions = description.args[0]
    values = {a.args[0]: a.kwargs["default_value"] for a in actions if isinstance(a, api.DeclareLaunchArgument)}
    assert all(isinstance(a.kwargs.get("description"), str) for a in actions if isinstance(a, api.DeclareLaunchArgument))
    values.update(given)
    opaque = next(a for a in actions if isinstance(a, api.OpaqueFunction))
    (node,) = opaque.kwargs["function"](_Context(values))
    return node, values


def test_encoder_launch_builds_the_encoder_node(monkeypatch) -> None:
    api = _stub_launch_api(monkeypatch)
    description = _load("encoder.launch.py").generate_launch_description()
    node, values = _node_from(description, api, {"params_file": "/p/encoder.yaml"})
    for arg in ("rgb_topic", "thermal_topic", "compressed_topic", "codec", "quality", "device", "params_file"):
        assert arg in values
    assert node.kwargs["package"] == "rgbir_compress" and node.kwargs["executable"] == "encoder_node"
    assert node.kwargs["parameters"] == ["/p/encoder.yaml", {}]  # unset arguments leave the file's values
    assert ("rgb/image_raw", "rgb/image_raw") in node.kwargs["remappings"]

    node, _ = _node_from(description, api, {"params_file": "/p/e.yaml", "codec": "webp", "quality": "0.8",
                                            "rgb_topic": "/cam/rgb", "device": "cpu"})
    assert node.kwargs["parameters"][1] == {"codec": "webp", "quality": 0.8, "device": "cpu"}
    assert ("rgb/image_raw", "/cam/rgb") in node.kwargs["remappings"]


def test_decoder_launch_builds_the_decoder_node(monkeypatch) -> None:
    api = _stub_launch_api(monkeypatch)
    description = _load("decoder.launch.py").generate_launch_description()
    node, _ = _node_from(description, api, {"params_file": "/p/decoder.yaml", "compressed_topic": "/link"})
    assert node.kwargs["executable"] == "decoder_node"
    assert ("compressed", "/link") in node.kwargs["remappings"]


def test_loopback_launch_includes_both(monkeypatch) -> None:
    api = _stub_launch_api(monkeypatch)
    actions = _load("loopback.launch.py").generate_launch_description().args[0]
    includes = [a for a in actions if isinstance(a, api.IncludeLaunchDescription)]
    files = [inc.args[0].args[0].args[0][-1] for inc in includes]
    assert files == ["encoder.launch.py", "decoder.launch.py"]


def _real_launch_available() -> bool:
    try:
        launch = importlib.import_module("launch")
        importlib.import_module("launch_ros")
    except ImportError:
        return False
    return hasattr(launch, "LaunchDescription")


@pytest.mark.skipif(not _real_launch_available(), reason="launch / launch_ros are not installed (no ROS 2 install)")
@pytest.mark.parametrize("name", LAUNCH_FILES)
def test_launch_files_with_the_real_launch_api(name: str) -> None:
    import launch

    description = _load(name).generate_launch_description()
    assert isinstance(description, launch.LaunchDescription)
    assert description.get_launch_arguments()
