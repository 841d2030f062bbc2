"""Finding the development endpoint of a home (``<home>/run/server.json``) when nothing serves it: what
the CLI, run processes and the lab's status bar see with no ``gluelab serve`` and no lab endpoint; and
when the lab opens its own endpoint (not when turned off, the port is taken, or another process serves)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import subprocess
import sys

import pytest

from gluelab.api.jupyter import _open_endpoint
from gluelab.api.running import running_server, server_file
from gluelab.config import Settings
from gluelab.services import Services


def test_no_endpoint_when_nothing_announced_it(services: Services) -> None:
    assert running_server(services.settings) is None
    status = services.sessions.get_endpoint_status({})
    assert status["ServerRunning"] is False
    assert status["Url"] == services.settings.endpoint_url() == "http://127.0.0.1:8998"


def test_an_announcement_left_by_a_dead_process_is_ignored(services: Services) -> None:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    path = server_file(services.settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": gone.pid, "url": "http://127.0.0.1:1", "by": "jupyter lab"}))
    assert running_server(services.settings) is None
    assert services.sessions.get_endpoint_status({})["ServerRunning"] is False
    path.write_text("{not json")
    assert running_server(services.settings) is None


class _Lab:
    """What the lab's server extension needs of Jupyter's ServerApp here: its log."""

    def __init__(self) -> None:
        self.log = logging.getLogger("tests.lab_endpoint")


def _settings_for(services: Services, **env: str) -> Services:
    settings = Settings.load(env={**services.settings.child_env(), **env})
    return Services(settings, services.store)


def test_the_lab_endpoint_is_opened_only_when_nothing_else_serves_the_home(
    services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    lab = _Lab()
    caplog.set_level(logging.INFO, logger="tests.lab_endpoint")
    assert _open_endpoint(lab, _settings_for(services, GLUELAB_LAB_ENDPOINT="false")) is None
    assert running_server(services.settings) is None

    with socket.socket() as taken:  # the configured port is someone else's: the lab runs without it
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        assert _open_endpoint(lab, _settings_for(services, GLUELAB_PORT=port)) is None
    assert "not serving the Glue API" in caplog.text and f"127.0.0.1:{port}" in caplog.text

    async def opened() -> None:
        endpoint = _open_endpoint(lab, _settings_for(services, GLUELAB_PORT="0"))
        assert endpoint is not None
        try:
            info = running_server(services.settings)
            assert info is not None and (info["by"], info["url"]) == ("jupyter lab", endpoint.url)
            # a second lab on the home leaves the endpoint to the first
            assert _open_endpoint(lab, _settings_for(services, GLUELAB_PORT="0")) is None
            assert f"use jupyter lab at {endpoint.url}" in caplog.text
        finally:
            endpoint.close()
        assert running_server(services.settings) is None

    asyncio.run(opened())
