"""The trust model: the token lets a client run code as the server's user, so the home is 0700 and the token
0600 (also when an existing home was loosened), and listening anywhere but loopback takes an explicit
``--allow-remote`` (or ``allow_remote`` setting) and prints what it exposes. Real ``gluelab`` processes;
the remote server binds 0.0.0.0 but is reached through loopback only."""

from __future__ import annotations

import asyncio
import getpass
import json
import logging
import os
import signal
import stat
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from gluelab.api.jupyter import _open_endpoint
from gluelab.api.running import running_server
from gluelab.config import Settings
from gluelab.services import open_services
from tests.helpers import gluelab_env, run_gluelab


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


# -- the home and the token --------------------------------------------------------------------------------
def test_a_new_home_is_0700_and_its_token_0600(tmp_path: Path) -> None:
    home = tmp_path / "home"
    old = os.umask(0o022)  # the usual umask: without care, a directory would be 0755
    try:
        run_gluelab(home, "credentials", "--json")
    finally:
        os.umask(old)
    assert mode(home) == 0o700
    assert mode(home / "token") == 0o600


def test_a_loosened_home_and_token_are_made_private_again_with_a_warning(tmp_path: Path) -> None:
    home = tmp_path / "home"
    token = json.loads(run_gluelab(home, "credentials", "--json").stdout)["aws_secret_access_key"]
    os.chmod(home, 0o755)
    os.chmod(home / "token", 0o644)
    result = run_gluelab(home, "credentials", "--json")
    assert json.loads(result.stdout)["aws_secret_access_key"] == token  # the same token, kept
    assert (mode(home), mode(home / "token")) == (0o700, 0o600)
    assert f"{home} was readable by others (mode 755): now 700" in result.stderr
    assert f"{home / 'token'} was readable by others (mode 644): now 600" in result.stderr


# -- serving beyond loopback ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "env"),
    [(["--host", "0.0.0.0"], {}), ([], {"GLUELAB_HOST": "0.0.0.0"}), (["--host", "example.org"], {})],
)
def test_serve_refuses_a_non_loopback_host_without_allow_remote(
    tmp_path: Path, args: list[str], env: dict[str, str]
) -> None:
    home = tmp_path / "home"
    started = time.monotonic()
    result = run_gluelab(home, "serve", *args, "--port", "0", check=False, env=env)
    assert result.returncode == 1
    message = " ".join(result.stderr.split())
    assert "which other machines may reach" in message and "pass --allow-remote" in message
    assert f"run code as {getpass.getuser()}" in message
    assert time.monotonic() - started < 30  # refused up front, not after a start
    assert not (home / "run" / "server.json").exists()


def test_serve_with_allow_remote_starts_and_says_what_it_exposes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    out = tmp_path / "serve.out"
    with out.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "gluelab", "serve", "--host", "0.0.0.0", "--port", "0", "--allow-remote"],
            env={**gluelab_env(home), "COLUMNS": "300"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        settings = Settings.load(env=gluelab_env(home))
        deadline = time.monotonic() + 60
        while (info := running_server(settings)) is None or info.get("pid") != proc.pid:
            assert proc.poll() is None, out.read_text()
            assert time.monotonic() < deadline, out.read_text()
            time.sleep(0.05)
        assert info["host"] == "0.0.0.0"
        ping = requests.get(f"http://127.0.0.1:{info['port']}/ping", timeout=10)  # loopback only
        assert ping.json()["status"] == "ok"
        printed = " ".join(out.read_text().split())
        assert "warning: listening on 0.0.0.0, which other machines may reach." in printed
        for exposed in (
            f"token ({home / 'token'})",
            "call the Glue API",
            f"run code as {getpass.getuser()} (job scripts, file:// locations, Livy sessions and batches)",
            f"the warehouse {home / 'warehouse'} through S3",
            "plain HTTP",
        ):
            assert exposed in printed
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


class _Lab:
    """What the lab's server extension needs of Jupyter's ServerApp here: its log."""

    def __init__(self) -> None:
        self.log = logging.getLogger("tests.trust_lab")


def test_the_labs_endpoint_follows_the_same_rule(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tests.trust_lab")
    env = gluelab_env(tmp_path / "home", GLUELAB_HOST="0.0.0.0", GLUELAB_PORT="0")
    services = open_services(Settings.load(env=env))
    try:
        assert _open_endpoint(_Lab(), services) is None
        assert "not serving the Glue API" in caplog.text and "pass --allow-remote" in caplog.text
    finally:
        services.close()

    async def allowed() -> None:
        services = open_services(Settings.load(env={**env, "GLUELAB_ALLOW_REMOTE": "true"}))
        endpoint = _open_endpoint(_Lab(), services)
        try:
            assert endpoint is not None and endpoint.info["host"] == "0.0.0.0"
            assert "may be reached from other machines" in caplog.text
            assert f"run code as {getpass.getuser()}" in caplog.text
        finally:
            if endpoint is not None:
                endpoint.close()
            services.close()

    # In a thread of its own: an earlier test (an in-process kernel) may leave this thread's loop running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, allowed()).result()
