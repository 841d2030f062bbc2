"""One development endpoint (``gluelab serve`` with a warm session spare) shared by the session tests:
each session is a Spark process, so the tests share the server and close their own sessions."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests

from tests.helpers import ServerProcess


class Livy:
    """A thin Livy REST client (requests, as sparkmagic and pylivy use) with gluelab's token."""

    def __init__(self, url: str, token: str):
        self.url = url
        self.auth = ("gluelab", token)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(method, self.url + path, auth=self.auth, timeout=30, **kwargs)

    def create(self, body: dict[str, Any] | None = None, wait: bool = True) -> dict[str, Any]:
        response = self.request("POST", "/sessions", json=body or {"kind": "pyspark"})
        assert response.status_code == 201, response.text
        session = response.json()
        return self.wait_idle(session["id"]) if wait else session

    def wait_idle(self, session_id: int, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            session = self.request("GET", f"/sessions/{session_id}").json()
            if session["state"] not in ("starting", "not_started"):
                assert session["state"] == "idle", session
                return session
            time.sleep(0.1)
        raise AssertionError(f"session {session_id} did not start within {timeout} s")

    def run(
        self, session_id: int, code: str, kind: str | None = None, timeout: float = 120
    ) -> dict[str, Any]:
        body = {"code": code, **({"kind": kind} if kind else {})}
        response = self.request("POST", f"/sessions/{session_id}/statements", json=body)
        assert response.status_code == 201, response.text
        return self.wait_statement(session_id, response.json()["id"], timeout)

    def wait_statement(self, session_id: int, statement_id: int, timeout: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            statement = self.request("GET", f"/sessions/{session_id}/statements/{statement_id}").json()
            if statement["state"] in ("available", "cancelled"):
                return statement
            time.sleep(0.05)
        raise AssertionError(f"statement {statement_id} did not finish within {timeout} s")

    def delete(self, session_id: int) -> None:
        self.request("DELETE", f"/sessions/{session_id}")


@pytest.fixture(scope="session")
def endpoint(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    server = ServerProcess(tmp_path_factory.mktemp("endpoint") / "home", GLUELAB_SESSION_POOL_SIZE="1")
    server.start()
    yield server
    livy = Livy(server.url, server.token)
    for session in livy.request("GET", "/sessions").json()["sessions"]:
        livy.delete(session["id"])
    server.stop()


@pytest.fixture(scope="session")
def livy(endpoint: ServerProcess) -> Livy:
    return Livy(endpoint.url, endpoint.token)
