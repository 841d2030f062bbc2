"""Promoting a notebook to a job in one action. The notebook is snapshotted (content hash, a version per
change) under ``<home>/notebooks/<job>/``; its ``parameters`` cell gives the typed parameter schema; Glue's
session magics (``%worker_type``, ``%number_of_workers``, ``%%configure`` ...) become the job's properties,
as Glue Studio does when it saves a notebook as a job, and are commented out of the snapshot. The job runs
with ``JobMode: NOTEBOOK`` (see ``notebook_launcher``); a schedule makes a SCHEDULED trigger."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from ..catalog.common import utcnow
from ..config import Settings
from ..errors import AlreadyExistsException, EntityNotFoundException, InvalidInputException
from ..operations import gluelab_operation
from ..store import Store
from ..store.models import NotebookVersionRow
from .definitions import normalise
from .notebook_params import parameter_schema

# Magics that configure the session: job properties now, comments in the snapshot.
CONFIG_LINE_MAGICS = {
    "glue_version",
    "worker_type",
    "number_of_workers",
    "idle_timeout",
    "timeout",
    "session_type",
    "etl",
    "streaming",
    "connections",
    "extra_py_files",
    "additional_python_modules",
    "spark_conf",
    "session_id_prefix",
    "profile",
    "region",
    "endpoint",
    "iam_role",
    "security_config",
    "extra_jars",
}
# Magics about the interactive session itself: meaningless in a job, commented out.
SESSION_LINE_MAGICS = {"help", "status", "session_id", "list_sessions", "stop_session"}
CONFIG_CELL_MAGICS = {"configure", "tags", "assume_role"}
# The job fields the session magics set (job_properties).
MAGIC_FIELDS = ("WorkerType", "NumberOfWorkers", "GlueVersion", "Timeout", "Connections", "DefaultArguments")
# What PromoteNotebook (the "Schedule as job" dialog) may set besides, with their types.
WORKER_SETTINGS = {"WorkerType": str, "NumberOfWorkers": int, "Timeout": int, "MaxRetries": int}
MAGIC_LINE = re.compile(r"^%(?!%)(\w+)\s*(.*)$")
MARK = "  # gluelab: a job property now"


def _nbformat() -> Any:
    """nbformat, imported on first use: its schema validator costs 1.5 s, paid by every CLI call otherwise."""
    import nbformat

    return nbformat


def content_hash(notebook: Path) -> str:
    """SHA-256 of the cells' types and sources: outputs and metadata do not make a new version."""
    nb = _nbformat().read(notebook, as_version=4)
    cells = [[c.cell_type, c.source] for c in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def _cell_magic(source: str) -> tuple[str, str, str] | None:
    first, _, body = source.partition("\n")
    match = re.match(r"^%%(\w+)\s*(.*)$", first.strip())
    return (match.group(1), match.group(2), body) if match else None


def job_properties(nb: Any) -> dict[str, Any]:
    """The CreateJob fields the notebook's session magics stand for (checked as the kernel checks them)."""
    from IPython.core.error import UsageError

    from ..kernel.magics import FIELDS, IGNORED_FIELDS, literal_dict
    from ..kernel.session import ConfigError, SessionConfig

    config = SessionConfig()
    seen: set[str] = set()

    def apply(name: str, value: Any) -> None:
        try:
            if name in FIELDS:
                FIELDS[name](config, value)
            elif name in ("etl", "streaming"):
                config.set_session_type(name)
            elif name == "spark_conf":
                config.add_spark_conf(str(value))
            elif name in ("extra_py_files", "additional_python_modules", "extra_jars"):
                config.set_argument(name.replace("_", "-"), value)
            elif name == "tags":
                config.tags.update({str(k): str(v) for k, v in dict(value).items()})
            else:
                return  # AWS-only settings mean nothing locally
        except (ConfigError, ValueError) as exc:
            raise InvalidInputException(f"%{name} {value}: {exc}") from None
        seen.add(name)

    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        magic = _cell_magic(cell.source)
        if magic and magic[0] in ("configure", "tags"):
            try:
                values = literal_dict(magic[2], magic[0])  # read as the kernel reads it
            except UsageError as exc:
                raise InvalidInputException(str(exc)) from None
            if magic[0] == "tags":
                apply("tags", values)
                continue
            for key, value in dict(values).items():
                if key in FIELDS or key == "tags":
                    apply(key, value)
                elif key not in IGNORED_FIELDS | {"session_id"}:  # AWS-only, or the session's own id
                    config.set_argument(str(key), value)
                    seen.add("arguments")
            continue
        for line in cell.source.splitlines():
            match = MAGIC_LINE.match(line.strip())
            if match and match.group(1) in CONFIG_LINE_MAGICS:
                apply(match.group(1), match.group(2).strip())
    properties: dict[str, Any] = {}
    if config.session_type == "streaming":
        properties["JobType"] = "gluestreaming"
    if "glue_version" in seen:
        properties["GlueVersion"] = config.glue_version
    if config.worker_type or config.number_of_workers:
        properties["WorkerType"] = config.worker_type or "G.1X"
        properties["NumberOfWorkers"] = config.number_of_workers or 2
    if "timeout" in seen:
        properties["Timeout"] = max(1, int(config.timeout))
    if config.connections:
        properties["Connections"] = {"Connections": list(config.connections)}
    if config.default_arguments:
        properties["DefaultArguments"] = dict(config.default_arguments)
    if config.tags:
        properties["Tags"] = dict(config.tags)
    return properties


def snapshot_of(nb: Any) -> Any:
    """The notebook as the job runs it: session magics commented out (they are job properties now)."""
    nb = _nbformat().from_dict(json.loads(json.dumps(nb)))
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        original = cell.source
        magic = _cell_magic(cell.source)
        if magic and magic[0] in CONFIG_CELL_MAGICS:
            cell.source = "\n".join(f"# {line}" for line in cell.source.splitlines()) + MARK
        else:
            lines = []
            for line in cell.source.splitlines():
                match = MAGIC_LINE.match(line.strip())
                if match and match.group(1) in CONFIG_LINE_MAGICS | SESSION_LINE_MAGICS:
                    line = f"# {line}{MARK}"
                lines.append(line)
            cell.source = "\n".join(lines)
        if cell.source != original:
            cell.metadata["gluelab"] = {"source": original}
        cell.outputs, cell.execution_count = [], None
    return nb


def _version_shape(row: NotebookVersionRow) -> dict[str, Any]:
    return {
        "Version": row.version,
        "Hash": row.content_hash,
        "SourcePath": row.source_path,
        "SnapshotPath": row.snapshot_path,
        "Parameters": row.parameters,
        "Properties": row.properties,
        "CreatedOn": row.created_on,
    }


class NotebookService:
    def __init__(self, store: Store, settings: Settings, jobs: Any, triggers: Any):
        self.store = store
        self.settings = settings
        self.jobs = jobs
        self.triggers = triggers

    # -- helpers -----------------------------------------------------------------------------
    @staticmethod
    def _read(path: Path) -> Any:
        if path.suffix != ".ipynb" or not path.is_file():
            raise InvalidInputException(f"{path} is not a notebook (.ipynb) file")
        try:
            return _nbformat().read(path, as_version=4)
        except Exception as exc:  # noqa: BLE001 - nbformat raises several kinds
            raise InvalidInputException(f"{path} is not a readable notebook: {exc}") from None

    def _versions(self, job_name: str) -> list[NotebookVersionRow]:
        with self.store.read() as session:
            query = select(NotebookVersionRow).where(NotebookVersionRow.job_name == job_name)
            rows = list(session.scalars(query.order_by(NotebookVersionRow.version)))
            session.expunge_all()
        if not rows:
            raise EntityNotFoundException(f"Job {job_name} is not a promoted notebook")
        return rows

    def _snapshot(self, job_name: str, source: Path, nb: Any) -> NotebookVersionRow:
        """A new version row (and its file) for ``nb``; the caller has checked the content changed."""
        digest = content_hash(source)
        properties = job_properties(nb)
        folder = self.settings.home / "notebooks" / job_name
        folder.mkdir(parents=True, exist_ok=True)
        with self.store.write() as session:
            latest = session.scalar(
                select(func.max(NotebookVersionRow.version)).where(NotebookVersionRow.job_name == job_name)
            )
            version = (latest or 0) + 1
            path = folder / f"v{version}-{digest[:12]}.ipynb"
            _nbformat().write(snapshot_of(nb), path)
            row = NotebookVersionRow(
                job_name=job_name,
                version=version,
                content_hash=digest,
                source_path=str(source),
                snapshot_path=str(path),
                parameters=parameter_schema(path),
                properties=properties,
                created_on=utcnow(),
            )
            session.add(row)
            session.flush()
            session.expunge(row)
        return row

    @staticmethod
    def _definition(
        row: NotebookVersionRow,
        role: str,
        base: dict[str, Any] | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The job's definition for snapshot ``row``. On an update (``base``: the job, ``previous``: what
        the last snapshot's magics set), a magic changed or removed since then changes the job's field;
        an unchanged one keeps what the job has (a value set in the promotion dialog or by UpdateJob)."""
        properties = dict(row.properties)
        kind = properties.pop("JobType", None) or (base or {}).get("Command", {}).get("Name") or "glueetl"
        properties.pop("Tags", None)
        definition = {
            k: v for k, v in (base or {}).items() if k not in ("Name", "CreatedOn", "LastModifiedOn")
        }
        definition.pop("MaxCapacity", None)  # derived from the workers
        if base is not None:
            before = previous or {}
            for key in MAGIC_FIELDS:
                if before.get(key) == properties.get(key) and key in definition:
                    properties.pop(key, None)  # the magic did not change: the job's value stays
                elif key not in properties:
                    definition.pop(key, None)  # the magic is gone: back to the default
        definition.update(
            Role=role,
            JobMode="NOTEBOOK",
            Description=f"Notebook {row.source_path}, version {row.version}",
            Command={"Name": kind, "ScriptLocation": row.snapshot_path, "PythonVersion": "3"},
            **properties,
        )
        return definition

    # -- operations ----------------------------------------------------------------------------
    @gluelab_operation(
        "PromoteNotebook",
        "NotebookPath",
        optional=("Name", "Schedule", "Role", "Arguments", *WORKER_SETTINGS),
    )
    def promote_notebook(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: a notebook becomes a job (and, with ``Schedule``, a scheduled one whose
        runs get ``Arguments``). ``WorkerType``, ``NumberOfWorkers``, ``Timeout`` and ``MaxRetries``, when
        given, win over the notebook's magics."""
        for field in ("Name", "Schedule", "Role"):
            if request.get(field) is not None and not isinstance(request[field], str):
                raise InvalidInputException(f"PromoteNotebook: {field} must be a string")
        settings = {k: request[k] for k in WORKER_SETTINGS if request.get(k) is not None}
        for field, value in settings.items():
            kind = WORKER_SETTINGS[field]
            if not isinstance(value, kind) or isinstance(value, bool):
                raise InvalidInputException(
                    f"PromoteNotebook: {field} must be {'a string' if kind is str else 'an integer'}"
                )
        arguments = request.get("Arguments")
        if arguments is not None and not (
            isinstance(arguments, dict) and all(isinstance(v, str) for v in arguments.values())
        ):
            raise InvalidInputException("PromoteNotebook: Arguments must map --names to strings")
        source = _notebook_source(request["NotebookPath"])
        nb = self._read(source)
        name = request.get("Name") or _job_name(source)
        try:
            self.jobs.get_job({"JobName": name})
            raise AlreadyExistsException(
                f"Job {name} already exists; `gluelab notebooks update {name}` takes a new snapshot"
            )
        except EntityNotFoundException:
            pass
        properties = job_properties(nb)  # bad magics are refused before anything is written
        _check_settings(properties, settings)
        if request.get("Schedule"):  # a bad schedule is refused before the job exists
            self.triggers.get_schedule_fire_times({"Schedule": request["Schedule"], "Count": 1})
        row = self._snapshot(name, source, nb)
        role = request.get("Role") or "gluelab-notebook"
        self.jobs.create_job(
            {"Name": name, **self._definition(row, role), **settings, "Tags": properties.get("Tags") or {}}
        )
        result = {"Name": name, **_version_shape(row)}
        if request.get("Schedule"):
            trigger = f"{name}-schedule"
            arguments = {"Arguments": request["Arguments"]} if request.get("Arguments") else {}
            self.triggers.create_trigger(
                {
                    "Name": trigger,
                    "Type": "SCHEDULED",
                    "Schedule": request["Schedule"],
                    "Actions": [{"JobName": name, **arguments}],
                    "StartOnCreation": True,
                    "Description": f"Schedule of notebook {source.name}",
                }
            )
            result["TriggerName"] = trigger
        return result

    @gluelab_operation("DescribeNotebook", "NotebookPath")
    def describe_notebook(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: what promoting a notebook would make of it (the "Schedule as job"
        dialog): a job name, the ``parameters`` cell's typed schema, the job properties its magics set,
        and the jobs that already run this notebook."""
        source = _notebook_source(request["NotebookPath"])
        nb = self._read(source)
        with self.store.read() as session:
            query = select(NotebookVersionRow.job_name).where(NotebookVersionRow.source_path == str(source))
            promoted = sorted(set(session.scalars(query)))
        existing = [name for name in promoted if self._is_job(name)]
        return {
            "NotebookPath": str(source),
            "Name": _job_name(source),
            "Parameters": parameter_schema(source),
            "Properties": job_properties(nb),
            "Jobs": existing,
        }

    def _is_job(self, name: str) -> bool:
        try:
            self.jobs.get_job({"JobName": name})
        except EntityNotFoundException:
            return False
        return True

    @gluelab_operation("UpdateNotebookJob", "Name")
    def update_notebook_job(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: snapshot the live notebook again when it changed; the job runs it next."""
        name = request["Name"]
        latest = self._versions(name)[-1]
        source = Path(latest.source_path)
        nb = self._read(source)
        if content_hash(source) == latest.content_hash:
            return {"Name": name, "Changed": False, **_version_shape(latest)}
        row = self._snapshot(name, source, nb)
        job = self.jobs.get_job({"JobName": name})["Job"]
        definition = self._definition(row, job["Role"], job, latest.properties)
        self.jobs.update_job({"JobName": name, "JobUpdate": definition})
        return {"Name": name, "Changed": True, **_version_shape(row)}

    @gluelab_operation("GetNotebookJob", "Name")
    def get_notebook_job(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: a promoted notebook's versions, parameters, and whether the live file
        has changed since the newest snapshot."""
        versions = self._versions(request["Name"])
        source = Path(versions[-1].source_path)
        live = content_hash(source) if source.is_file() else None
        return {
            "Name": request["Name"],
            "Versions": [_version_shape(v) for v in versions],
            "Parameters": versions[-1].parameters,
            "LiveFileChanged": live is not None and live != versions[-1].content_hash,
            "LiveFileExists": live is not None,
        }

    @gluelab_operation("GetNotebookDiff", "Name")
    def get_notebook_diff(self, request: dict[str, Any]) -> dict[str, Any]:
        """gluelab's own action: what changed in the live notebook since the newest snapshot, as a unified
        diff of the cells' sources."""
        latest = self._versions(request["Name"])[-1]
        source = Path(latest.source_path)
        snapshot = _nbformat().read(latest.snapshot_path, as_version=4)
        live = self._read(source)

        def text(nb: Any) -> list[str]:
            lines: list[str] = []
            for index, cell in enumerate(nb.cells, start=1):
                lines.append(f"# --- cell {index} ({cell.cell_type}) ---\n")
                lines += [line + "\n" for line in cell.source.splitlines()]
            return lines

        diff = difflib.unified_diff(
            text(_unmarked(snapshot)), text(live), f"version {latest.version}", f"{source} (live)"
        )
        body = "".join(diff)
        return {"Name": request["Name"], "Version": latest.version, "Changed": bool(body), "Diff": body}


def _notebook_source(path: Any) -> Path:
    """A NotebookPath as the file it names: absolute (or ``~/...``); a relative one is refused, as a relative
    location is (the lab's ``gluelab/api`` and the CLI make theirs absolute before asking)."""
    if not isinstance(path, str) or not path:
        raise InvalidInputException("NotebookPath must be a path to a .ipynb file")
    given = Path(path).expanduser()
    if not given.is_absolute():
        raise InvalidInputException(
            f"NotebookPath {path!r} is a relative path: give an absolute one (a relative path would depend "
            "on the server's working directory; the lab takes it from its root directory)"
        )
    return given.resolve()


def _job_name(source: Path) -> str:
    """A job name from a notebook's file name (``daily report.ipynb`` → ``daily-report``)."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", source.stem).strip("-") or "notebook"


def _check_settings(properties: dict[str, Any], settings: dict[str, Any]) -> None:
    """Refuses worker settings CreateJob would refuse, before anything is written."""
    from ..kernel.session import WORKER_TYPES

    worker = settings.get("WorkerType")
    if worker is not None and worker not in WORKER_TYPES:
        raise InvalidInputException(f"Unknown WorkerType {worker!r}; one of: {', '.join(WORKER_TYPES)}")
    kind = properties.get("JobType", "glueetl")
    fields = {k: v for k, v in properties.items() if k not in ("JobType", "Tags")}
    normalise({**fields, **settings, "Command": {"Name": kind, "ScriptLocation": "/notebook.ipynb"}})


def _unmarked(nb: Any) -> Any:
    """A snapshot with its cells' sources as they were before the magics were commented out."""
    for cell in nb.cells:
        original = cell.metadata.get("gluelab", {}).get("source")
        if original is not None:
            cell.source = original
    return nb
