"""Job bookmarks: where a job's bookmark state is kept, and how it is read, reset and rewound.

A bookmark is one state element per ``transformation_ctx`` (a JSON object whose content belongs to the
runtime's source that wrote it). ``job.commit()`` calls :meth:`BookmarkService.commit`, which merges the run's
elements into the stored state and keeps a snapshot of the result per run; ResetJobBookmark empties the state
or rewinds it to such a snapshot. The runs table is never changed by a reset, so a reset can be undone by
rewinding to the latest run.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ..config import Settings
from ..errors import EntityNotFoundException, InvalidInputException
from ..operations import glue_operation
from ..store import Store
from ..store.models import JobBookmarkRow, JobBookmarkRunRow

MAX_NAME = 255  # job names and run ids are String(255) columns
MAX_INT = 2**31 - 1  # Version, Run and Attempt are 32-bit integers in every backend


def missing_bookmark(job_name: str) -> EntityNotFoundException:
    return EntityNotFoundException(f"Continuation for job {job_name} not found")


def _utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class BookmarkService:
    """GetJobBookmark and ResetJobBookmark for every face; load/commit/history/delete for the runtime and
    the jobs service."""

    def __init__(self, store: Store, settings: Settings):
        self.store = store
        self.settings = settings

    # -- Glue operations ------------------------------------------------------------------
    @glue_operation("GetJobBookmark")
    def get_job_bookmark(self, request: dict[str, Any]) -> dict[str, Any]:
        job_name, run_id = request["JobName"], request.get("RunId")
        with self.store.read() as session:
            row = self._bookmark(session, job_name)
            if run_id is None:
                return {"JobBookmarkEntry": _glue_entry(row)}
            return {"JobBookmarkEntry": _glue_entry(self._run(session, job_name, run_id))}

    @glue_operation("ResetJobBookmark")
    def reset_job_bookmark(self, request: dict[str, Any]) -> dict[str, Any]:
        """Without RunId the state becomes empty (the next run reads everything); with RunId it becomes the
        state that run committed (a rewind, for backfills). Version increments; runs are kept."""
        job_name, run_id = request["JobName"], request.get("RunId")
        with self.store.write() as session:
            row = self._bookmark(session, job_name, for_update=True)
            state = {} if run_id is None else dict(self._run(session, job_name, run_id).state)
            now = _utcnow()
            row.state = state
            row.version = _next(row.version, "Version")
            row.updated_at = row.reset_at = now
            row.reset_to_run_id = run_id
            return {"JobBookmarkEntry": _glue_entry(row)}

    # -- for the runtime (job.commit) and the jobs service ----------------------------------
    def load(self, job_name: str) -> dict[str, Any] | None:
        """The bookmark entry with its state as a dict (``State``), or None if the job has none."""
        with self.store.read() as session:
            row = self._find(session, job_name)
            return None if row is None else _record(row)

    def commit(
        self,
        job_name: str,
        run_id: str,
        states: dict[str, dict[str, Any]],
        attempt: int = 0,
        previous_run_id: str | None = None,
    ) -> dict[str, Any]:
        """Save a run's state elements in one transaction: elements of the ctxs in ``states`` replace the
        stored ones, the others are kept; Version and Run increment; the merged state is kept as the run's
        snapshot. A run commits once: the same ``run_id`` again is an InvalidInputException."""
        _check_name(job_name, "JobName")
        _check_name(run_id, "RunId")
        if previous_run_id is not None:
            _check_name(previous_run_id, "PreviousRunId")
        if isinstance(attempt, bool) or not isinstance(attempt, int) or not 0 <= attempt <= MAX_INT:
            raise InvalidInputException(f"Attempt must be an integer from 0 to {MAX_INT}, not {attempt!r}.")
        states = _checked_states(states)
        retries = 1
        while True:
            try:
                with self.store.write() as session:
                    return self._commit(session, job_name, run_id, states, attempt, previous_run_id)
            except IntegrityError:
                # Another process committed this run, or created this job's bookmark first: then merge again.
                if self._has_run(job_name, run_id):
                    raise _already_committed(job_name, run_id) from None
                if not retries:
                    raise
                retries -= 1

    def history(self, job_name: str) -> list[dict[str, Any]]:
        """The snapshots of the job's committed runs, newest first (none if the job has no bookmark)."""
        with self.store.read() as session:
            rows = session.scalars(
                select(JobBookmarkRunRow)
                .where(JobBookmarkRunRow.job_name == job_name)
                .order_by(JobBookmarkRunRow.id.desc())
            ).all()
            return [_run_record(row) for row in rows]

    def delete(self, job_name: str, session: Session | None = None) -> bool:
        """Forget the job's bookmark and its runs (when the job is deleted); pass ``session`` to do it in the
        caller's transaction. True if there was one."""
        if session is None:
            with self.store.write() as own:
                return self.delete(job_name, own)
        session.execute(delete(JobBookmarkRunRow).where(JobBookmarkRunRow.job_name == job_name))
        result = session.execute(delete(JobBookmarkRow).where(JobBookmarkRow.job_name == job_name))
        return bool(result.rowcount)

    # -- internals -----------------------------------------------------------------------
    def _commit(
        self,
        session: Session,
        job_name: str,
        run_id: str,
        states: dict[str, dict[str, Any]],
        attempt: int,
        previous_run_id: str | None,
    ) -> dict[str, Any]:
        now = _utcnow()
        row = self._find(session, job_name, for_update=True)
        if row is None:
            row = JobBookmarkRow(job_name=job_name, version=0, run=0, attempt=0, state={}, updated_at=now)
            session.add(row)
        elif self._has_run(job_name, run_id, session):
            raise _already_committed(job_name, run_id)
        row.state = {**row.state, **states}
        row.version = _next(row.version, "Version")
        row.run = _next(row.run, "Run")
        row.attempt = attempt
        row.previous_run_id = previous_run_id if previous_run_id is not None else row.run_id
        row.run_id = run_id
        row.updated_at = now
        session.flush()
        self._snapshot(session, row, now)
        return _record(row)

    def _snapshot(self, session: Session, row: JobBookmarkRow, committed_at: dt.datetime) -> None:
        assert row.run_id is not None
        session.add(
            JobBookmarkRunRow(
                job_name=row.job_name,
                run_id=row.run_id,
                run=row.run,
                version=row.version,
                attempt=row.attempt,
                previous_run_id=row.previous_run_id,
                state=dict(row.state),
                committed_at=committed_at,
            )
        )
        session.flush()

    @staticmethod
    def _find(session: Session, job_name: str, for_update: bool = False) -> JobBookmarkRow | None:
        query = select(JobBookmarkRow).where(JobBookmarkRow.job_name == job_name)
        if for_update:  # PostgreSQL: concurrent commits of one job merge one after the other
            query = query.with_for_update()
        return session.scalar(query)

    def _bookmark(self, session: Session, job_name: str, for_update: bool = False) -> JobBookmarkRow:
        row = self._find(session, job_name, for_update)
        if row is None:
            raise missing_bookmark(job_name)
        return row

    @staticmethod
    def _run(session: Session, job_name: str, run_id: str) -> JobBookmarkRunRow:
        row = session.scalar(
            select(JobBookmarkRunRow).where(
                JobBookmarkRunRow.job_name == job_name, JobBookmarkRunRow.run_id == run_id
            )
        )
        if row is None:
            raise EntityNotFoundException(f"Continuation for job {job_name} has no run {run_id}")
        return row

    def _has_run(self, job_name: str, run_id: str, session: Session | None = None) -> bool:
        if session is None:
            with self.store.read() as own:
                return self._has_run(job_name, run_id, own)
        found = session.scalar(
            select(JobBookmarkRunRow.id).where(
                JobBookmarkRunRow.job_name == job_name, JobBookmarkRunRow.run_id == run_id
            )
        )
        return found is not None


# -- shapes ------------------------------------------------------------------------------
def serialise_state(state: dict[str, Any]) -> str:
    """The JobBookmark string of an entry: the state as JSON."""
    return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _glue_entry(row: JobBookmarkRow | JobBookmarkRunRow) -> dict[str, Any]:
    entry = {
        "JobName": row.job_name,
        "Version": row.version,
        "Run": row.run,
        "Attempt": row.attempt,
        "PreviousRunId": row.previous_run_id,
        "RunId": row.run_id,
        "JobBookmark": serialise_state(row.state),
    }
    return {k: v for k, v in entry.items() if v is not None}


def _record(row: JobBookmarkRow) -> dict[str, Any]:
    return {
        "JobName": row.job_name,
        "Version": row.version,
        "Run": row.run,
        "Attempt": row.attempt,
        "RunId": row.run_id,
        "PreviousRunId": row.previous_run_id,
        "State": json.loads(json.dumps(row.state)),  # a copy the caller may change
        "UpdatedAt": row.updated_at,
        "ResetAt": row.reset_at,
        "ResetToRunId": row.reset_to_run_id,
    }


def _run_record(row: JobBookmarkRunRow) -> dict[str, Any]:
    return {
        "JobName": row.job_name,
        "Version": row.version,
        "Run": row.run,
        "Attempt": row.attempt,
        "RunId": row.run_id,
        "PreviousRunId": row.previous_run_id,
        "State": row.state,
        "CommittedAt": row.committed_at,
    }


# -- checks (commit is called by the runtime, not through @glue_operation) -----------------
def _already_committed(job_name: str, run_id: str) -> InvalidInputException:
    return InvalidInputException(f"Run {run_id} of job {job_name} has already committed its bookmark.")


def _next(value: int, what: str) -> int:
    if value >= MAX_INT:
        raise InvalidInputException(f"The bookmark's {what} cannot grow past {MAX_INT}; reset it.")
    return value + 1


def _check_text(value: str, what: str) -> None:
    if "\x00" in value:
        raise InvalidInputException(f"{what} must not contain NUL characters.")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInputException(f"{what} must be valid Unicode (it has a lone surrogate).") from None


def _check_name(value: Any, what: str) -> None:
    if not isinstance(value, str) or not value or len(value) > MAX_NAME:
        raise InvalidInputException(f"{what} must be a string of 1 to {MAX_NAME} characters, not {value!r}.")
    _check_text(value, what)


def _checked_states(states: Any) -> dict[str, dict[str, Any]]:
    """A copy of ``states`` that every backend stores and gives back unchanged (JSON objects of JSON)."""
    if not isinstance(states, dict):
        raise InvalidInputException("Bookmark states must be a dict of transformation_ctx -> state element.")
    for ctx, element in states.items():
        if not isinstance(ctx, str) or not ctx:
            raise InvalidInputException(f"A transformation_ctx must be a non-empty string, not {ctx!r}.")
        if not isinstance(element, dict):
            raise InvalidInputException(f"The state element of {ctx} must be a dict, not {element!r:.80}.")
        _check_json(element, ctx)
    return json.loads(json.dumps(states))


def _check_json(value: Any, path: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidInputException(f"State key {key!r} at {path} is not a string.")
            _check_text(key, f"State key at {path}")
            _check_json(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _check_json(item, f"{path}[{i}]")
    elif isinstance(value, str):
        _check_text(value, f"State value at {path}")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidInputException(f"State value at {path} is not a finite number: {value!r}.")
    elif value is not None and not isinstance(value, bool | int):
        raise InvalidInputException(f"State value at {path} is not JSON: {type(value).__name__}.")
