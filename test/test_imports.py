"""The package's layers point one way, and only `rgbir_compress/ros/` touches ROS (and, outside the
installed package, the node harness `rgbir_harness/` that tests, the demo and the benches use),
and callers go through the codec seams: receivers decode through StreamDecoder, nothing probes codec
attributes, and every byte count is a ByteCount.

Layers, lowest first (a module imports its own package and lower layers only):
  core    the top-level modules: errors, frame, encodings, yuv, metrics, imageio, manifest,
          imagemsg, scene (numpy and image files; no torch needed)
  codecs  codecs/ (interface, factory, classical, learned incl. the weights-file format), then
          container/ (serialisation of what codecs produce: container -> codecs, never back)
  tools   bag/, eval/, train/: siblings that do not import each other, except that training reads
          bags through bag/ (train -> bag)
  ros     ros/: the nodes (the only rclpy code), and msg/, the generated message they publish
  top     cli/
Only ros/ imports ROS: the codec library runs on machines without ROS, and `bag/` works through rosbags alone. Checked on
the source (ast, so lazy imports inside functions count too) and at run time in a clean interpreter."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "rgbir_compress"
# ROS client libraries and message packages (rosbags, a pure-Python reader/writer, is allowed).
# rgbir_compress.msg is the generated message: it imports std_msgs and builtin_interfaces.
ROS_MODULES = {
    "rclpy", "sensor_msgs", "std_msgs", "message_filters", "launch", "launch_ros", "diagnostic_msgs",
    "builtin_interfaces", "rosidl_runtime_py", "rosidl_parser", "rosidl_generator_py", "rosbag2_py",
    "cv_bridge", "tf2_ros", "rgbir_compress.msg", "rgbir_compress.ros", "rgbir_harness",
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _imported_names(path: Path, source: str | None = None) -> set[str]:
    """Absolute module names imported by a file, relative imports resolved. `source` stands in for
    the file's text (the checker's own test uses it)."""
    text = path.read_text(encoding="utf-8") if source is None else source
    tree = ast.parse(text, filename=str(path))
    package = _module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join(base + ([node.module] if node.module else []))
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
        elif (  # importlib.import_module("...") with a literal name
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", "")) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            names.add(node.args[0].value)
    return names


#: Layer rank of each package (core modules are the top-level files, rank 0).
LAYER = {"codecs": 1, "container": 1, "bag": 2, "eval": 2, "train": 2, "msg": 2, "ros": 3, "cli": 4}
#: Imports between packages of one rank that are allowed (importer -> imported).
SIBLING_IMPORTS = {("container", "codecs"), ("train", "bag")}


def _unit(module: str) -> str | None:
    """The layer unit of an rgbir_compress module: its subpackage, "core" for a top-level module,
    "cli" for __main__; None for anything outside the package (or the package itself)."""
    parts = module.split(".")
    if parts[0] != "rgbir_compress" or len(parts) < 2:
        return None
    if parts[1] in LAYER:
        return parts[1]
    return "cli" if parts[1] == "__main__" else "core"


def _rank(unit: str) -> int:
    return LAYER.get(unit, 0)


def _backwards_imports(path: Path, source: str | None = None) -> list[str]:
    """Imports of `path` that point to a higher layer or to a sibling package of its own layer."""
    own = _unit(_module_name(path))
    found = []
    for name in sorted(_imported_names(path, source)):
        other = _unit(name)
        if other is None or other == own or (own, other) in SIBLING_IMPORTS:
            continue
        if _rank(other) >= _rank(own):
            found.append(f"{name} ({other}, layer {_rank(other)} >= {own}, layer {_rank(own)})")
    return found


def _ros_imports(path: Path) -> list[str]:
    return sorted(
        name for name in _imported_names(path)
        if any(name == ros or name.startswith(ros + ".") for ros in ROS_MODULES)
    )


def _files(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "__pycache__" not in p.parts)


CORE_FILES = [p for p in _files(PACKAGE) if p.relative_to(PACKAGE).parts[0] != "ros"]


def test_the_walk_sees_the_package():
    names = {_module_name(p) for p in CORE_FILES}
    assert {"rgbir_compress.codecs.base", "rgbir_compress.container.serialise"} <= names
    assert not any(n.startswith("rgbir_compress.ros") for n in names)


def test_the_checker_catches_ros_imports():
    source = (
        "import rclpy\nfrom sensor_msgs.msg import Image\nfrom ..ros import params\n"
        "def f():\n    import importlib\n    importlib.import_module('launch_ros.actions')\n"
    )
    names = _imported_names(PACKAGE / "codecs" / "example.py", source)
    assert {"rclpy", "sensor_msgs.msg", "rgbir_compress.ros", "launch_ros.actions"} <= names


@pytest.mark.parametrize("path", CORE_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_core_module_imports_no_ros(path):
    found = _ros_imports(path)
    assert not found, (f"{path.relative_to(PACKAGE.parent)} imports ROS modules {found}; "
                       "only rgbir_compress/ros/ may")


ALL_FILES = _files(PACKAGE)


def test_every_subpackage_has_a_layer():
    packages = {p.relative_to(PACKAGE).parts[0] for p in ALL_FILES if len(p.relative_to(PACKAGE).parts) > 1}
    assert packages <= set(LAYER), f"give {sorted(packages - set(LAYER))} a layer in LAYER"


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_the_layers(path):
    found = _backwards_imports(path)
    assert not found, f"{path.relative_to(PACKAGE.parent)} imports against the layering: {found}"


@pytest.mark.parametrize("where,source", [
    ("codecs/learned/weights.py", "def f():\n    from ...train.checkpoint import load_model_state\n"),
    ("metrics.py", "from .eval import runner\n"),
    ("eval/cli.py", "from ..train.data import read_manifest\n"),
    ("container/layout.py", "import rgbir_compress.bag.bagio\n"),
    ("bag/compress.py", "from ..ros import encoder_node\n"),
])
def test_the_layer_checker_catches_backwards_imports(where, source):
    assert _backwards_imports(PACKAGE / where, source)


def test_the_layer_checker_allows_downward_imports():
    source = "from ..codecs import factory\nfrom .. import metrics\nfrom ..bag import bagio\nfrom . import data\n"
    assert not _backwards_imports(PACKAGE / "train" / "example.py", source)


@pytest.mark.parametrize("path", ALL_FILES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_the_package_does_not_need_the_node_harness(path):
    """rgbir_harness/ is not installed (setup.cfg, CMakeLists.txt): nothing installed may import it."""
    assert not [n for n in _imported_names(path) if n.split(".")[0] == "rgbir_harness"]


def test_bag_imports_no_rclpy():
    offenders = {
        str(p.relative_to(PACKAGE.parent)): sorted(n for n in _imported_names(p) if n.split(".")[0] == "rclpy")
        for p in _files(PACKAGE / "bag")
    }
    assert not {k: v for k, v in offenders.items() if v}


def test_core_imports_load_no_ros_at_run_time():
    """Transitive imports too: a clean interpreter imports the core and lists any ROS module loaded."""
    code = (
        "import sys\n"
        "import rgbir_compress.codecs, rgbir_compress.container, rgbir_compress.container.message\n"
        "import rgbir_compress.codecs.classical\n"
        "from rgbir_compress.codecs import registry; registry.names()\n"
        "try:\n    import rgbir_compress.bag\nexcept ImportError:\n    pass\n"
        f"roots = {sorted(m for m in ROS_MODULES if '.' not in m)!r}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in roots "
        "or m.startswith(('rgbir_compress.ros', 'rgbir_compress.msg'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert out.stdout.strip() == "[]", out.stdout


# -- the seams every caller goes through (docs/architecture.md) -----------------------------------
#: Receivers: they decode whatever a stream names through codecs.stream_decoder, never open a codec
#: for it themselves.
RECEIVERS = ["ros/decoder_node.py", "bag/decompress.py", "bag/extract.py", "codecs/auto.py"]


@pytest.mark.parametrize("rel", RECEIVERS)
def test_receivers_decode_through_the_stream_decoder(rel):
    names = _imported_names(PACKAGE / rel)
    assert "rgbir_compress.codecs.stream_decoder.StreamDecoder" in names, rel
    assert "rgbir_compress.codecs.factory.open_codec" not in names or rel == "codecs/auto.py", rel


def _probes(path: Path) -> list[str]:
    """getattr/hasattr calls whose object is a codec (`codec`, `self.codec`, `...codec...`)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("getattr", "hasattr") and node.args:
            target = ast.unparse(node.args[0])
            if "codec" in target.split(".")[-1]:
                found.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize("path", _files(PACKAGE / "ros") + _files(PACKAGE / "bag") + _files(PACKAGE / "eval"),
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_nodes_and_tools_ask_codecs_through_the_interface(path):
    """No attribute probing of codec objects: PairCodec's status(), batches, runs_on(), prepare(),
    realtime_note() answer what callers need."""
    assert not _probes(path)


def test_the_probe_checker_catches_a_probe(tmp_path):
    planted = tmp_path / "x.py"
    planted.write_text("def f(self):\n    return getattr(self.codec, 'device', None)\n")
    assert _probes(planted)


def _hand_counts(path: Path) -> list[str]:
    """len(<x>.rgb_data) / len(<x>.thermal_data): byte counts that bypass ByteCount."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "len" and node.args
                and isinstance(node.args[0], ast.Attribute) and node.args[0].attr in ("rgb_data", "thermal_data")):
            found.append(f"{path.name}:{node.lineno}")
    return found


@pytest.mark.parametrize("path", [p for p in ALL_FILES if p.relative_to(PACKAGE).parts[0] not in ("codecs", "container")],
                         ids=lambda p: str(p.relative_to(PACKAGE)))
def test_byte_counts_go_through_bytecount(path):
    """Diagnostics, bag info, eval, training validation and the CLI count bytes with ByteCount
    (codecs/base.py): one rule for where the affine coefficients go."""
    assert not _hand_counts(path)


def test_the_count_checker_catches_a_hand_count(tmp_path):
    planted = tmp_path / "x.py"
    planted.write_text("def f(cp):\n    return len(cp.rgb_data) + 1\n")
    assert _hand_counts(planted)
