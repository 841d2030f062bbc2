"""Job bookmarks inside a run: which files and rows each bookmarked source reads, and the state it will
leave when ``job.commit()`` succeeds (nothing is saved before that).

S3 and local files: a file is new when its modification time is after the stored high-water mark. Files
modified within ``maxBand`` (default 15 minutes) of the run's start are remembered one by one, so a file
that shows up late is neither lost nor read twice. JDBC: rows whose ``jobBookmarkKeys`` are past the stored
last value, up to the table's maximum when the run read it.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

from ..errors import InvalidInputException

ENABLE, PAUSE, DISABLE = "job-bookmark-enable", "job-bookmark-pause", "job-bookmark-disable"
DEFAULT_MAX_BAND_MS = 900_000


@dataclass
class BookmarkTracker:
    option: str = DISABLE
    stored: dict[str, Any] = field(default_factory=dict)  # transformation_ctx -> state element
    upper: dict[str, Any] | None = None  # pause with --job-bookmark-to: the state the range ends at
    run_started_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    pending: dict[str, Any] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        return self.option in (ENABLE, PAUSE)

    # -- files ---------------------------------------------------------------------------------------
    def filter_files(self, ctx: str, files: list[Any], source: dict[str, Any]) -> list[Any]:
        if not self.active:
            return files
        options = source.get("connection_options", {})
        band = int(options.get("maxBand", DEFAULT_MAX_BAND_MS))
        max_in_band = int(options.get("maxFilesInBand", 1_000_000))
        state = (self.stored.get(ctx) or {}).get("s3") or {"high_water_ms": 0, "files": {}}
        high_water = int(state.get("high_water_ms", 0))
        seen: dict[str, int] = dict(state.get("files", {}))
        # Files written after the run started wait for the next run: the listing is taken as of the start.
        visible = [f for f in files if f.mtime_ms <= self.run_started_ms]
        new = [f for f in visible if f.mtime_ms > high_water and seen.get(f.uri) != f.mtime_ms]
        if self.upper is not None:
            upper_state = (self.upper.get(ctx) or {}).get("s3") or {"high_water_ms": 0, "files": {}}
            upper_seen = upper_state.get("files", {})
            new = [f for f in new if f.mtime_ms <= upper_state.get("high_water_ms", 0) or f.uri in upper_seen]
        if len([f for f in new if f.mtime_ms > self.run_started_ms - band]) > max_in_band:
            in_band = sorted(
                (f for f in new if f.mtime_ms > self.run_started_ms - band), key=lambda f: f.mtime_ms
            )
            deferred = {f.uri for f in in_band[max_in_band:]}
            new = [f for f in new if f.uri not in deferred]
        new_high_water = max(high_water, self.run_started_ms - band)
        remembered = {uri: mtime for uri, mtime in seen.items() if mtime > new_high_water}
        remembered.update({f.uri: f.mtime_ms for f in new if f.mtime_ms > new_high_water})
        if self.option == ENABLE:
            self.pending[ctx] = {
                "kind": "s3",
                "source": {k: v for k, v in source.items() if k != "connection_options"},
                "s3": {"high_water_ms": new_high_water, "files": remembered, "read": len(new)},
            }
        return new

    # -- JDBC ------------------------------------------------------------------------------------------
    def jdbc_last(self, ctx: str, keys: list[str]) -> list[Any] | None:
        """The last key values read by the previous runs (None: read from the start)."""
        if not self.active:
            return None
        element = self.stored.get(ctx) or {}
        jdbc = element.get("jdbc") or {}
        if jdbc.get("keys") and [k.lower() for k in jdbc["keys"]] != [k.lower() for k in keys]:
            raise InvalidInputException(
                f"jobBookmarkKeys changed for {ctx!r} ({jdbc['keys']} -> {keys}); "
                "reset the job's bookmark first"
            )
        return jdbc.get("last")

    def jdbc_upper(self, ctx: str) -> list[Any] | None:
        if self.upper is None:
            return None
        return ((self.upper.get(ctx) or {}).get("jdbc") or {}).get("last")

    def record_jdbc(
        self,
        ctx: str,
        keys: list[str],
        sort_order: str,
        last: list[Any] | None,
        source: dict[str, Any],
        rows_after: list[Any] | None,
    ) -> None:
        if self.option != ENABLE:
            return
        previous = self.jdbc_last(ctx, keys)
        self.pending[ctx] = {
            "kind": "jdbc",
            "source": source,
            "jdbc": {"keys": keys, "sort_order": sort_order, "last": last if last is not None else previous},
        }

    def states(self) -> dict[str, Any]:
        return copy.deepcopy(self.pending)
