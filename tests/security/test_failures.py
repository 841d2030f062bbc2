"""Failures say why: a run whose process cannot write its end to the store is recorded with that reason
("The run could not write to the store (...)"), not as "killed or crashed". The store fails for real,
in the middle of a run, under a real ``gluelab serve``: PostgreSQL turned read-only (and its connections
dropped), and SQLite on a small file system filled to the last byte (a tmpfs: needs root to mount).
Once the store can be written again, the supervisor records the run from the note it left."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from tests.helpers import (
    PG_ADMIN_URL,
    ServerProcess,
    create_pg_database,
    drop_pg_database,
    postgres_available,
    unavailable,
)

WAITING_SCRIPT = """
import os, sys, time
gate = sys.argv[sys.argv.index("--gate") + 1]
deadline = time.monotonic() + 120
while not os.path.exists(gate) and time.monotonic() < deadline:
    time.sleep(0.05)
{ending}
"""


def _until(check: Callable[[], Any], what: str, timeout: float = 90) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def _start_waiting_run(server: ServerProcess, tmp_path: Path, ending: str) -> tuple[Any, str, Path]:
    script = tmp_path / "wait.py"
    script.write_text(WAITING_SCRIPT.format(ending=ending))
    gate = tmp_path / "gate"
    glue = server.client()
    glue.create_job(Name="writer", Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)})
    run_id = glue.start_job_run(JobName="writer", Arguments={"--gate": str(gate)})["JobRunId"]
    _until(
        lambda: glue.get_job_run(JobName="writer", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING",
        "the run to be RUNNING",
    )
    return glue, run_id, gate


def _note_left(server: ServerProcess, run_id: str) -> bool:
    folder = server.home / "logs" / "runs" / run_id
    return any(p.read_bytes().rstrip(b"\0") for p in folder.glob("unrecorded-end-*.json"))


def _final(glue, run_id: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    def ended() -> dict[str, Any] | None:
        run = glue.get_job_run(JobName="writer", RunId=run_id)["JobRun"]
        return run if run["JobRunState"] not in ("STARTING", "RUNNING", "STOPPING") else None

    return _until(ended, "the supervisor to record the run")


# -- PostgreSQL: the database turns read-only under the run ----------------------------------------------


@pytest.fixture
def pg_server(tmp_path: Path) -> Iterator[tuple[ServerProcess, str]]:
    if not postgres_available():
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432 (set GLUELAB_TEST_PG_URL)")
    url = create_pg_database()
    proc = ServerProcess(tmp_path / "home", url).start()
    yield proc, sa.engine.make_url(url).database or ""
    proc.stop()
    _set_read_only(sa.engine.make_url(url).database or "", False)
    drop_pg_database(url)


def _set_read_only(database: str, read_only: bool) -> None:
    """What an administrator does to a database that must not be written (a full volume, a failover):
    new sessions are read-only, and the current ones are ended so that they reconnect as such."""
    engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        setting = "SET default_transaction_read_only = " + ("on" if read_only else "DEFAULT")
        conn.execute(sa.text(f'ALTER DATABASE "{database}" {setting}'))
        conn.execute(
            sa.text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": database},
        )
    engine.dispose()


@pytest.mark.postgres
def test_a_run_that_cannot_write_its_end_to_postgresql_says_so(pg_server, tmp_path):
    server, database = pg_server
    glue, run_id, gate = _start_waiting_run(server, tmp_path, "raise ValueError('the user code failed')")
    _set_read_only(database, True)
    gate.touch()
    _until(lambda: _note_left(server, run_id), "the run's note")
    # Meanwhile a read still answers: the run is not recorded yet, and GetJobRun does not fail.
    assert glue.get_job_run(JobName="writer", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    _set_read_only(database, False)

    run = _final(glue, run_id)

    assert run["JobRunState"] == "FAILED"
    message = run["ErrorMessage"]
    assert message.startswith("The run could not write to the store (cannot execute "), message
    assert "in a read-only transaction) when it ended" in message
    assert "it had failed: ValueError: the user code failed" in message
    assert "killed or crashed" not in message
    run_log = (server.home / "logs" / "runs" / run_id / "run.log").read_text()
    assert "could not write to the store" in run_log


# -- SQLite: the disk under the store fills up ------------------------------------------------------------


@pytest.fixture
def full_disk_server(tmp_path: Path) -> Iterator[ServerProcess]:
    home = tmp_path / "home"
    home.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=48m,mode=0700", "tmpfs", str(home)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"mounting a small tmpfs needs root: {mounted.stderr.decode().strip()}")
    proc = ServerProcess(home)
    try:
        proc.start()
        yield proc
    finally:
        proc.stop()
        subprocess.run(["umount", "-l", str(home)], check=False)


def _fill(path: Path) -> None:
    """Write ``path`` until the file system has not a byte left."""
    with open(path, "ab", buffering=0) as filler:
        for size in (1 << 20, 1 << 12, 1):
            while True:
                try:
                    filler.write(b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
                    break


def _fill_disk_under(home: Path) -> Path:
    """The disk full, and the store's write-ahead log emptied (it is kept between writes, and its old
    pages would otherwise take one more write)."""
    filler = home / "filler"
    _fill(filler)
    db = sqlite3.connect(home / "gluelab.db", timeout=30)
    try:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    _fill(filler)
    return filler


def test_a_run_that_cannot_write_its_end_to_a_full_disk_says_so(full_disk_server, tmp_path):
    server = full_disk_server
    glue, run_id, gate = _start_waiting_run(server, tmp_path, "")
    filler = _fill_disk_under(server.home)
    gate.touch()
    _until(lambda: _note_left(server, run_id), "the run's note")
    assert glue.get_job_run(JobName="writer", RunId=run_id)["JobRun"]["JobRunState"] == "RUNNING"
    os.unlink(filler)

    run = _final(glue, run_id)

    assert run["JobRunState"] == "FAILED"
    message = run["ErrorMessage"]
    assert message == (
        "The run could not write to the store (database or disk is full) when it ended, so its end "
        "(SUCCEEDED) was not recorded"
    ), message
