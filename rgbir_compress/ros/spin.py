"""The `main()` both nodes share: init, spin until Ctrl-C or shutdown, stop the node's worker,
and turn a configuration error into one fatal log line and exit code 1."""
from __future__ import annotations

from typing import Callable

import rclpy
from rclpy.executors import ExternalShutdownException


def spin_node(factory: Callable[[], "rclpy.node.Node"], name: str, args: list[str] | None,
              fatal: tuple[type[BaseException], ...] = (ValueError,)) -> int:
    rclpy.init(args=args)
    node = None
    try:
        node = factory()
        rclpy.spin(node)
    except (KeyboardInterrupt, ExternalShutdownException):
        pass
    except fatal as exc:
        rclpy.logging.get_logger(name).fatal(str(exc))
        return 1
    finally:
        if node is not None:
            node.shutdown()
            node.destroy_node()
        rclpy.try_shutdown()
    return 0
