"""``gluelab sessions`` and ``gluelab endpoint`` as a user types them, against the shared endpoint."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from tests.helpers import ServerProcess, run_gluelab

from .conftest import Livy

pytestmark = pytest.mark.slow


def test_endpoint_status(endpoint: ServerProcess) -> None:
    text = run_gluelab(endpoint.home, "endpoint", "status").stdout
    assert "running" in text and endpoint.url in text
    info = json.loads(run_gluelab(endpoint.home, "endpoint", "status", "--json").stdout)
    assert info["server_running"] is True and info["livy_url"] == info["s3_endpoint"] == endpoint.url


def test_sparkmagic_config_is_private_and_not_overwritten(endpoint: ServerProcess, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    run_gluelab(endpoint.home, "endpoint", "sparkmagic-config", "--path", str(path))
    config = json.loads(path.read_text())
    assert config["kernel_python_credentials"] == {
        "username": "gluelab",
        "password": endpoint.token,
        "url": endpoint.url,
        "auth": "Basic_Access",
    }
    assert path.stat().st_mode & 0o777 == 0o600
    again = run_gluelab(endpoint.home, "endpoint", "sparkmagic-config", "--path", str(path), check=False)
    assert again.returncode == 1 and "--force" in again.stderr


def test_list_and_stop_sessions(endpoint: ServerProcess, livy: Livy) -> None:
    created = livy.create({"kind": "pyspark", "name": "cli-test"})
    name = f"livy-{created['id']}"
    listing = run_gluelab(endpoint.home, "sessions", "list").stdout
    assert name in listing and "READY" in listing and "idle" in listing
    shapes = json.loads(run_gluelab(endpoint.home, "sessions", "list", "--json").stdout)
    assert any(s["Id"] == name and s["LivyId"] == created["id"] for s in shapes)
    status, answer = endpoint.call("GetEndpointStatus", {})  # what the lab's status bar shows
    assert status == 200 and answer["ServerRunning"] is True and answer["Url"] == endpoint.url
    assert answer["SessionsByStatus"].get("READY", 0) >= 1 and answer["SessionsRunning"] >= 1
    info = json.loads(run_gluelab(endpoint.home, "endpoint", "status", "--json").stdout)
    assert info["sessions_by_status"] == answer["SessionsByStatus"]
    status, refused = endpoint.call("GetEndpointStatus", {"Verbose": True})
    assert status == 400 and "does not take Verbose" in refused["message"]
    run_gluelab(endpoint.home, "sessions", "stop", name)
    deadline = time.monotonic() + 30
    while livy.request("GET", f"/sessions/{created['id']}").json()["state"] != "killed":
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert name not in run_gluelab(endpoint.home, "sessions", "list").stdout
    assert name in run_gluelab(endpoint.home, "sessions", "list", "--all").stdout
    missing = run_gluelab(endpoint.home, "sessions", "stop", "nope", check=False)
    assert missing.returncode == 1 and "EntityNotFoundException" in missing.stderr
    livy.delete(created["id"])
