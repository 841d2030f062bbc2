"""Job (``awsglue.job``): ``init`` loads the job's bookmark state, ``commit`` saves what the run read.
Bookmarks only work when a script calls ``job.init(...)`` first and ``job.commit()`` last, as on Glue."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from ..errors import InvalidInputException
from .bookmark_tracker import DISABLE, ENABLE, PAUSE, BookmarkTracker
from .utils import (
    CONTINUATION_OPTIONS,
    DATA_LINEAGE_OPTIONS,
    ENCRYPTION_TYPE_OPTIONS,
    ID_PARAMS,
    JOB_BOOKMARK_OPTIONS,
    JOB_BOOKMARK_RANGE_OPTIONS,
)

log = logging.getLogger("gluelab.runtime")


class Job:
    @classmethod
    def job_bookmark_options(cls) -> list[str]:
        return list(JOB_BOOKMARK_OPTIONS)

    @classmethod
    def continuation_options(cls) -> list[str]:
        return list(CONTINUATION_OPTIONS)

    @classmethod
    def job_bookmark_range_options(cls) -> list[str]:
        return list(JOB_BOOKMARK_RANGE_OPTIONS)

    @classmethod
    def id_params(cls) -> list[str]:
        return list(ID_PARAMS)

    @classmethod
    def encryption_type_options(cls) -> list[str]:
        return list(ENCRYPTION_TYPE_OPTIONS)

    @classmethod
    def data_lineage_options(cls) -> list[str]:
        return list(DATA_LINEAGE_OPTIONS)

    def __init__(self, glue_context: Any):
        from .context import GlueContext

        if not isinstance(glue_context, GlueContext):  # Glue also accepts a SparkSession
            glue_context = GlueContext(glue_context)
        self._glue_context = glue_context
        self._initialized = False
        self._committed = False
        self._job_name: str | None = None
        self._run_id: str | None = None
        self._bookmarks = BookmarkTracker()
        self._previous_run_id: str | None = None

    def isInitialized(self) -> bool:
        return self._initialized

    @property
    def runId(self) -> str | None:
        return self._run_id

    def init(self, job_name: str, args: dict[str, Any] | None = None) -> None:
        args = dict(args or {})
        if not job_name:
            raise InvalidInputException("Job.init needs the job's name (args['JOB_NAME'])")
        option = args.get("job_bookmark_option") or DISABLE
        if option not in (ENABLE, PAUSE, DISABLE):
            raise InvalidInputException(f"job-bookmark-option must be one of {ENABLE}, {PAUSE}, {DISABLE}")
        self._job_name = job_name
        self._run_id = args.get("JOB_RUN_ID") or f"jr_{uuid.uuid4().hex}"
        stored: dict[str, Any] = {}
        upper = None
        if option != DISABLE:
            service = self._glue_context.services.bookmarks
            entry = service.load(job_name)
            if entry is not None:
                stored = entry["State"]
                self._previous_run_id = entry.get("RunId")
            start, end = args.get("job_bookmark_from"), args.get("job_bookmark_to")
            if option == PAUSE and start and end:
                runs = {r["RunId"]: r["State"] for r in service.history(job_name)}
                for run_id in (start, end):
                    if run_id not in runs:
                        raise InvalidInputException(
                            f"--job-bookmark-from/--job-bookmark-to: job {job_name} has no "
                            f"committed run {run_id}"
                        )
                stored, upper = runs[start], runs[end]
        self._bookmarks = BookmarkTracker(option=option, stored=stored, upper=upper)
        self._glue_context._job = self
        self._initialized = True
        log.info("job %s run %s: bookmarks %s", job_name, self._run_id, option)

    def commit(self) -> None:
        """Save the bookmark state of every bookmarked source of this run, atomically."""
        if not self._initialized:
            raise InvalidInputException("Job.commit called before Job.init")
        if self._committed:
            log.warning(
                "job %s run %s committed already; ignoring a second commit", self._job_name, self._run_id
            )
            return
        if self._bookmarks.option == ENABLE:
            states = self._bookmarks.states()
            entry = self._glue_context.services.bookmarks.commit(
                self._job_name, self._run_id, states, previous_run_id=self._previous_run_id
            )
            # A run that found nothing new is recorded too: its sources' states say they read nothing.
            self._glue_context.get_logger().info(
                f"job {self._job_name} run {self._run_id}: bookmark committed as run {entry['Run']} "
                f"({', '.join(sorted(states)) or 'no bookmarked source'})"
            )
        self._committed = True
