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


# The services a gluelab endpoint answers, each reached through its own AWS_ENDPOINT_URL_<SERVICE>.
SERVED = ("GLUE", "S3", "STS")


def client_environment(settings: Settings, url: str) -> dict[str, str]:
    """The environment that makes unmodified AWS clients (boto3, the AWS CLI, awswrangler, s3fs) reach the
    gluelab endpoint at ``url`` for Glue, S3 and STS, signed with the home's token."""
    env = {f"AWS_ENDPOINT_URL_{service}": url for service in SERVED}
    env.update(
        {
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_ACCESS_KEY_ID": settings.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.token,
        }
    )
    return env


def running_server(settings: Settings) -> dict[str, Any] | None:
    """The address of a live ``gluelab serve`` for this home, if there is one."""
    try:
        info = json.loads(server_file(settings).read_text())
        os.kill(int(info["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return info
