"""Test helpers: throwaway PostgreSQL databases and a real ``gluelab serve`` subprocess."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, NoReturn

import boto3
import botocore.config
import sqlalchemy as sa

from gluelab.api.server import ServeError, spawn_server

PG_ADMIN_URL = os.environ.get("GLUELAB_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


def postgres_available() -> bool:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except sa.exc.OperationalError:
        return False


def create_pg_database() -> str:
    """A new, empty PostgreSQL database; returns its URL."""
    name = f"gluelab_t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(url: str) -> None:
    name = sa.engine.make_url(url).database
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    engine.dispose()


def gluelab_env(home: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLUELAB_") and not k.startswith("AWS_")}
    env["GLUELAB_HOME"] = str(home)
    if database_url:
        env["GLUELAB_DATABASE_URL"] = database_url
    env["GLUELAB_WARM_POOL_SIZE"] = "0"  # no Spark spares unless a test asks for them
    env["GLUELAB_SESSION_POOL_SIZE"] = "0"
    env.update(extra)
    return env


class ServerProcess:
    """``gluelab serve --port 0`` in a subprocess, with its home and store."""

    def __init__(self, home: Path, database_url: str | None = None, **env: str):
        self.home = home
        self.env = gluelab_env(home, database_url, **env)
        self.proc: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    def start(self, timeout: float = 60) -> ServerProcess:
        (self.home / "run" / "server.json").unlink(missing_ok=True)
        self.log = open(self.home.parent / f"{self.home.name}-serve.out", "ab")  # noqa: SIM115
        try:
            self.proc, self.info = spawn_server(self.home, self.env, self.log, timeout)
        except ServeError as exc:
            raise RuntimeError(f"{exc}: {self.output()}") from None
        return self

    def output(self) -> str:
        path = self.home.parent / f"{self.home.name}-serve.out"
        return path.read_text(errors="replace") if path.exists() else ""

    @property
    def url(self) -> str:
        return self.info["url"]

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    @property
    def token(self) -> str:
        return (self.home / "token").read_text().strip()

    def credentials(self) -> dict[str, str]:
        return {
            "endpoint_url": self.url,
            "region_name": "us-east-1",
            "aws_access_key_id": "gluelab",
            "aws_secret_access_key": self.token,
        }

    def aws_env(self) -> dict[str, str]:
        """What an unmodified AWS client needs to reach this server: one endpoint for every service."""
        return {
            "AWS_ENDPOINT_URL": self.url,
            "AWS_ACCESS_KEY_ID": "gluelab",
            "AWS_SECRET_ACCESS_KEY": self.token,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self, **overrides: str):  # type: ignore[no-untyped-def]
        creds = {**self.credentials(), **overrides}
        config = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
        return boto3.client("glue", config=config, **creds)

    def call(self, action: str, request: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """POST one action signed as botocore signs (for gluelab's own actions, which boto3 lacks)."""
        import json
        import urllib.error
        import urllib.request

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials

        body = json.dumps(request).encode()
        headers = {"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": f"AWSGlue.{action}"}
        signed = AWSRequest(method="POST", url=self.url + "/", data=body, headers=headers)
        SigV4Auth(Credentials("gluelab", self.token), "glue", "us-east-1").add_auth(signed)
        http = urllib.request.Request(
            self.url + "/", data=body, method="POST", headers=dict(signed.headers.items())
        )
        try:
            with urllib.request.urlopen(http) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is cleaned up."""
        assert self.proc is not None
        self.proc.kill()
        self.proc.wait()
        self.log.close()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if getattr(self, "log", None):
            self.log.close()


def run_gluelab(
    home: Path, *args: str, check: bool = True, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``gluelab ARGS`` in a subprocess on ``home`` (and ``env`` on top), as a user types it; fails the test
    on a non-zero exit unless ``check`` is False."""
    result = subprocess.run(
        [sys.executable, "-m", "gluelab", *args],
        env={**gluelab_env(home), "COLUMNS": "200", **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if check and result.returncode != 0:
        raise AssertionError(f"gluelab {' '.join(args)} failed ({result.returncode}): {result.stderr}")
    return result


def unavailable(message: str) -> NoReturn:
    """A service a test needs (PostgreSQL, MariaDB) is not there: skip locally, fail in CI, where the
    services are always started and a skip would hide a test that never ran."""
    import pytest

    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def engine_or_unavailable(url: str) -> sa.Engine:
    """An engine on a database the machine runs (MariaDB, PostgreSQL); ``unavailable`` when it is not up."""
    engine = sa.create_engine(url)
    try:
        with engine.connect():
            pass
    except sa.exc.OperationalError:
        unavailable(f"{url} is not reachable")
    return engine


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_jupyter(
    module: str, port: int, root: Path, env: dict[str, str], log: Path, *options: str
) -> subprocess.Popen[bytes]:
    """``python -m <module>`` (``jupyterlab`` or ``jupyter_server``) on 127.0.0.1:``port`` serving ``root``,
    its output in ``log``; ``options`` are more ``--Name=value`` settings."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", module, "--no-browser", "--allow-root", f"--port={port}"]
            + ["--ServerApp.ip=127.0.0.1", f"--ServerApp.root_dir={root}", *options],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """SIGTERM, then SIGKILL when it has not ended within ``timeout`` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
