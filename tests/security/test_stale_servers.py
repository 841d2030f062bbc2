"""Stale servers: nothing wipes or reuses a home a live ``gluelab serve`` or lab serves, and "address in use"
names the gluelab process that holds the port. A real ``gluelab serve`` (and, once, a real ``jupyter
lab``) serves a demo workspace's home; the commands run as a user types them."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gluelab.api.running import running_server, server_file, serving
from gluelab.config import Settings
from tests.helpers import ServerProcess, free_port, gluelab_env, run_gluelab, start_jupyter, stop_process


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder as ``gluelab demo`` leaves it (its marker, its home)."""
    folder = tmp_path_factory.mktemp("stale") / "demo"
    (folder / "home").mkdir(parents=True)
    (folder / ".gluelab-demo").write_text("")
    return folder


@pytest.fixture(scope="module")
def server(workspace: Path) -> Iterator[ServerProcess]:
    """``gluelab serve`` on the demo workspace's home, as a user who ran the demo then served its home."""
    proc = ServerProcess(workspace / "home").start()
    yield proc
    proc.stop()


def flat(text: str) -> str:
    return " ".join(text.split())


def test_the_demo_refuses_to_wipe_a_home_a_server_serves(server: ServerProcess, workspace: Path) -> None:
    kept = workspace / "home" / "warehouse" / "kept.txt"
    kept.parent.mkdir(parents=True, exist_ok=True)
    kept.write_text("still here")
    before = sorted(str(p) for p in workspace.rglob("*"))
    result = run_gluelab(workspace / "other", "demo", "--workspace", str(workspace), check=False)
    assert result.returncode == 1  # refused before any server or Spark starts: nothing below changes
    message = flat(result.stderr)
    port = server.info["port"]
    assert f"the demo did not start: gluelab serve (pid {server.pid}, port {port}," in message
    assert f"serves {workspace / 'home'}, which the demo would delete" in message
    assert f"kill {server.pid}" in message and "Ctrl-C" in message
    assert kept.read_text() == "still here"
    assert sorted(str(p) for p in workspace.rglob("*")) == before
    assert server.call("GetDatabases", {})[0] == 200  # the server goes on, with its token


def test_serve_on_a_held_port_names_the_gluelab_process_holding_it(
    server: ServerProcess, workspace: Path, tmp_path: Path
) -> None:
    port = str(server.info["port"])
    result = run_gluelab(tmp_path / "another-home", "serve", "--port", port, check=False)
    assert result.returncode == 1
    message = flat(result.stderr)
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in message
    assert f"held by gluelab serve (pid {server.pid}, port {port}, {server.url})" in message
    assert f"serving {workspace / 'home'}" in message and f"kill {server.pid}" in message


def test_serve_on_a_port_held_by_something_else_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = str(taken.getsockname()[1])
        result = run_gluelab(tmp_path / "home", "serve", "--port", port, check=False)
    assert result.returncode == 1
    message = flat(result.stderr)
    assert f"held by pid {os.getpid()} (" in message and "pytest" in message  # this test's own process


def test_serving_the_same_home_twice_names_the_first(server: ServerProcess) -> None:
    result = run_gluelab(server.home, "serve", "--port", "0", check=False)
    assert result.returncode == 1
    message = flat(result.stderr)
    assert f"gluelab serve is already running for {server.home} at {server.url} (pid {server.pid})" in message
    assert f"kill {server.pid}" in message


def test_endpoint_status_reports_the_running_server(server: ServerProcess, tmp_path: Path) -> None:
    status = json.loads(run_gluelab(server.home, "endpoint", "status", "--json").stdout)
    assert status["server_running"] is True and status["glue_endpoint"] == server.url
    assert (status["server"]["pid"], status["server"]["by"]) == (server.pid, "gluelab serve")
    text = flat(run_gluelab(server.home, "endpoint", "status").stdout)
    assert f"server running: gluelab serve (pid {server.pid}, port {server.info['port']}" in text

    # Another home configured for the same port: nothing serves it, and the holder is named.
    other = run_gluelab(
        tmp_path / "other", "endpoint", "status", env={"GLUELAB_PORT": str(server.info["port"])}
    )
    text = flat(other.stdout)
    assert f"not running for {tmp_path / 'other'}" in text
    assert f"held by gluelab serve (pid {server.pid}" in text and f"serving {server.home}" in text


def test_an_announcement_whose_pid_went_to_a_later_process_is_stale(tmp_path: Path) -> None:
    settings = Settings.load(env=gluelab_env(tmp_path / "home"))
    path = server_file(settings)
    path.parent.mkdir(parents=True)
    # This process is alive, but it is not the one that wrote the announcement (another start time).
    path.write_text(json.dumps({"pid": os.getpid(), "url": "http://127.0.0.1:1", "process_start": 1}))
    assert running_server(settings) is None and serving(settings.home) == []
    status = json.loads(run_gluelab(settings.home, "endpoint", "status", "--json").stdout)
    assert status["server_running"] is False


def test_the_demo_refuses_a_folder_that_is_not_a_demo_workspace(tmp_path: Path) -> None:
    folder = tmp_path / "my-project"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine")
    result = run_gluelab(tmp_path / "home", "demo", "--workspace", str(folder), check=False)
    assert result.returncode == 1
    assert "is not empty and is not a demo workspace" in flat(result.stderr)
    assert (folder / "notes.txt").read_text() == "mine"


def test_the_demo_refuses_while_a_lab_has_its_home_open(tmp_path: Path) -> None:
    """The issue's case: the lab the demo suggested still runs. It records itself in the home (whether or not
    it serves the endpoint), so the demo refuses, naming it."""
    workspace = tmp_path / "demo"
    (workspace / "home").mkdir(parents=True)
    (workspace / ".gluelab-demo").write_text("")
    env = gluelab_env(
        workspace / "home", GLUELAB_PORT="0", JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config")
    )
    log = tmp_path / "lab.log"
    lab = start_jupyter("jupyterlab", free_port(), workspace, env, log)
    try:
        record = workspace / "home" / "run" / f"lab-{lab.pid}.json"
        deadline = time.monotonic() + 90
        while not (record.exists() and (workspace / "home" / "run" / "server.json").exists()):
            assert lab.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        result = run_gluelab(tmp_path / "x", "demo", "--workspace", str(workspace), check=False)
        assert result.returncode == 1
        message = flat(result.stderr)
        assert f"the demo did not start: jupyter lab (pid {lab.pid}, port" in message
        assert "File > Shut Down" in message and f"kill {lab.pid}" in message
        assert record.exists()
    finally:
        stop_process(lab)
    assert not record.exists()  # a lab that shuts down withdraws its record, and its endpoint's
    assert not (workspace / "home" / "run" / "server.json").exists()
