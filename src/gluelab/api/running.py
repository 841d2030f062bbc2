"""Where a running ``gluelab serve`` leaves its address (``<home>/run/server.json``), and finding it: cheap
to import (no HTTP server), for the CLI and run processes."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ..config import Settings

SERVER_FILE = "server.json"


def server_file(settings: Settings) -> Path:
    return settings.run_dir / SERVER_FILE


def running_server(settings: Settings) -> dict[str, Any] | None:
    """The address of a live ``gluelab serve`` for this home, if there is one."""
    try:
        info = json.loads(server_file(settings).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info
