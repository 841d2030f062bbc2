"""Finding the development endpoint of a home (``<home>/run/server.json``) when nothing serves it: what
the CLI, run processes and the lab's status bar see with no ``gluelab serve`` and no lab endpoint."""

from __future__ import annotations

import json
import subprocess
import sys

from gluelab.api.running import running_server, server_file
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
