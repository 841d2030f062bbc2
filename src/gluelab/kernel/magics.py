"""The kernel's magics: Glue interactive sessions' names where they mean something locally, and gluelab's
own (%catalog, %bookmarks). Configuration magics change the next session, as on Glue; a change while
one runs says so."""

from __future__ import annotations

import ast
import json
import shlex
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, cell_magic, line_magic, magics_class
from IPython.display import display

from ..errors import GlueError
from . import render
from .session import ConfigError, SessionConfig

if TYPE_CHECKING:
    from .kernel import GlueLocalKernel

HELP = """\
### Glue PySpark (local): magics

Spark starts in this kernel the first time a cell uses it (`spark`, `sc`, `sqlContext`, `glueContext`, or
an import of `pyspark` / `awsglue`), with `spark`, `sc`, `sqlContext` and `glueContext` defined and the
gluelab Data Catalog queryable. Configuration magics apply to the next session: put them before the
first cell that uses Spark, or `%stop_session` first.

| magic | what it does here |
|---|---|
| `%help` | this list |
| `%status` | the session: id, status, Glue version, type, workers, timeouts, Spark master, log |
| `%session_id` | the current session's id |
| `%session_id_prefix <text>` | a prefix for the next session's id |
| `%list_sessions` | this kernel's session and the gluelab endpoint's sessions |
| `%stop_session` | stop Spark; the next cell that uses it starts a new session |
| `%glue_version <v>` | Glue version of the next session (0.9 to 6.1): Spark SQL as in its Spark |
| `%worker_type <t>` | WorkerType: G.1X, G.2X, ... (local cores and driver memory follow it) |
| `%number_of_workers <n>` | NumberOfWorkers (local cores follow it) |
| `%idle_timeout <minutes>` | Spark stops after this long without a cell running (default 2880) |
| `%timeout <minutes>` | Spark stops this long after it started (default 2880) |
| `%session_type etl\\|streaming`, `%etl`, `%streaming` | the session's job type |
| `%connections a,b` | Glue connections (checked against the catalog when the session starts) |
| `%extra_py_files a.py,b.zip` | `--extra-py-files`: put on the Python path of the driver and workers |
| `%additional_python_modules a,b==1.0` | `--additional-python-modules`: installed with pip at start |
| `%spark_conf k=v` | add `--conf k=v`; without an argument, show the current ones |
| `%%configure` | a dict: session fields (`number_of_workers`, `worker_type`, `glue_version`, \
`idle_timeout`, `timeout`, `connections`, `tags`...); any other key becomes a default argument |
| `%%tags` | a dict of tags for the session |
| `%%sql [-n ROWS] [-o NAME]` | run Spark SQL, show the result as a table (`-o` keeps the DataFrame) |
| `%catalog [database[.table]]` | gluelab's Data Catalog: databases, a database's tables, a table's columns |
| `%bookmarks [job]` | job bookmarks: every job's, or one job's state per `transformation_ctx` |

`%profile`, `%region`, `%endpoint`, `%iam_role`, `%security_config` and `%%assume_role` are accepted so
notebooks written for Glue run unchanged; they mean nothing locally.
"""

AWS_ONLY = ("profile", "region", "endpoint", "iam_role", "security_config", "extra_jars")
# %%configure keys that are session fields; any other key is a default argument.
FIELDS = {
    "glue_version": SessionConfig.set_glue_version,
    "worker_type": SessionConfig.set_worker_type,
    "number_of_workers": SessionConfig.set_number_of_workers,
    "idle_timeout": SessionConfig.set_idle_timeout,
    "timeout": SessionConfig.set_timeout,
    "connections": SessionConfig.set_connections,
    "session_type": SessionConfig.set_session_type,
    "session_id_prefix": SessionConfig.set_session_id_prefix,
}
IGNORED_FIELDS = {"profile", "endpoint", "region", "iam_role", "max_capacity", "security_config"}


def literal_dict(text: str, magic: str) -> dict[str, Any]:
    """A ``%%configure``/``%%tags`` body: a dict as JSON or a Python literal; UsageError otherwise."""
    text = text.strip()
    try:
        value = json.loads(text)
    except ValueError:
        try:
            value = ast.literal_eval(text)
        except (ValueError, SyntaxError):
            raise UsageError(
                f"%%{magic} expects a dict (JSON or a Python literal), not {text[:80]!r}"
            ) from None
    if not isinstance(value, dict):
        raise UsageError(f"%%{magic} expects a dict, not {type(value).__name__}")
    return value


@magics_class
class GlueMagics(Magics):
    def __init__(self, shell: Any, kernel: GlueLocalKernel):
        super().__init__(shell)
        self.kernel = kernel
        self.session = kernel.local_session
        for name in AWS_ONLY:
            self.magics["line"][name] = self._aws_only(name)
        self.magics["cell"]["assume_role"] = self._aws_only("assume_role")

    # -- helpers --------------------------------------------------------------------------------
    def _configure(self, change: Any, *args: Any) -> None:
        try:
            change(self.session.config, *args)
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
        self._next_session_note()

    def _next_session_note(self) -> None:
        if self.session.ready:
            print("The session is running: this applies to the next one (%stop_session to start over now).")

    def _aws_only(self, name: str) -> Any:
        def magic(line: str, cell: str | None = None) -> None:
            print(f"%{name}: nothing to do locally (gluelab runs Spark in this kernel); ignored.")

        return magic

    def _services(self) -> Any:
        from ..services import shared_services

        return shared_services(self.kernel.settings)

    @staticmethod
    def _show(bundle: dict[str, str]) -> None:
        display(bundle, raw=True)

    # -- the session --------------------------------------------------------------------------
    @line_magic
    def help(self, line: str) -> None:
        display({"text/markdown": HELP, "text/plain": HELP}, raw=True)

    @line_magic
    def status(self, line: str) -> None:
        self._show(render.key_values(self.session.describe()))

    @line_magic
    def session_id(self, line: str) -> None:
        if self.session.session_id is None:
            print("No session yet: the first cell that uses Spark starts one.")
        else:
            print(f"Current session ID: {self.session.session_id}")

    @line_magic
    def session_id_prefix(self, line: str) -> None:
        self._configure(SessionConfig.set_session_id_prefix, line.strip())
        print(f"Session ID prefix: {line.strip()}")

    @line_magic
    def stop_session(self, line: str) -> None:
        if self.session.stop("STOPPED"):
            print(f"Stopped session {self.session.session_id}.")
        else:
            print("There is no running session to stop.")

    @line_magic
    def list_sessions(self, line: str) -> None:
        rows: list[list[Any]] = []
        if self.session.session_id:
            rows.append([self.session.session_id, self.session.status, "this kernel", ""])
        for shape in self._services().sessions.list_sessions({}).get("Sessions", []):
            created = shape.get("CreatedOn")
            rows.append([shape["Id"], shape["Status"], "endpoint", str(created or "")])
        self._show(render.table(["Id", "Status", "Where", "CreatedOn"], rows, f"{len(rows)} session(s)"))

    @line_magic
    def glue_version(self, line: str) -> None:
        self._configure(SessionConfig.set_glue_version, line.strip())
        print(f"Setting Glue version to: {line.strip()}")

    @line_magic
    def worker_type(self, line: str) -> None:
        self._configure(SessionConfig.set_worker_type, line.strip())
        print(f"Setting worker type to: {line.strip()}")

    @line_magic
    def number_of_workers(self, line: str) -> None:
        self._configure(SessionConfig.set_number_of_workers, line.strip())
        print(f"Setting the number of workers to: {line.strip()}")

    @line_magic
    def idle_timeout(self, line: str) -> None:
        self._configure(SessionConfig.set_idle_timeout, line.strip())
        print(f"Setting the idle timeout to: {line.strip()} minutes")

    @line_magic
    def timeout(self, line: str) -> None:
        self._configure(SessionConfig.set_timeout, line.strip())
        print(f"Setting the timeout to: {line.strip()} minutes")

    @line_magic
    def session_type(self, line: str) -> None:
        self._configure(SessionConfig.set_session_type, line.strip())
        print(f"Setting the session type to: {line.strip()}")

    @line_magic
    def etl(self, line: str) -> None:
        self.session_type("etl")

    @line_magic
    def streaming(self, line: str) -> None:
        self.session_type("streaming")

    @line_magic
    def connections(self, line: str) -> None:
        self._configure(SessionConfig.set_connections, line.strip())
        print(f"Connections to be included: {', '.join(self.session.config.connections) or '(none)'}")

    @line_magic
    def extra_py_files(self, line: str) -> None:
        self._configure(SessionConfig.set_argument, "--extra-py-files", line.strip())
        print(f"Extra py files to be included: {line.strip()}")

    @line_magic
    def additional_python_modules(self, line: str) -> None:
        self._configure(SessionConfig.set_argument, "--additional-python-modules", line.strip())
        print(f"Additional python modules to be included: {line.strip()}")

    @line_magic
    def spark_conf(self, line: str) -> None:
        if not line.strip():
            conf = self.session.config.spark_conf()
            running = self.session.spark.sparkContext.getConf().getAll() if self.session.ready else []
            rows = [[k, v, "next session"] for k, v in conf.items()]
            rows += [[k, v, "running session"] for k, v in sorted(running)]
            self._show(render.table(["Key", "Value", "Applies to"], rows))
            return
        self._configure(SessionConfig.add_spark_conf, line.strip())
        print(f"Spark conf for the next session: {self.session.config.default_arguments['--conf']}")

    @cell_magic
    def configure(self, line: str, cell: str) -> None:
        values = literal_dict(cell, "configure")
        config = self.session.config
        for key, value in values.items():
            if key in FIELDS:
                self._configure(FIELDS[key], value)
            elif key == "tags":
                if not isinstance(value, dict):
                    raise UsageError("tags must be a dict")
                config.tags.update({str(k): str(v) for k, v in value.items()})
            elif key == "session_id":
                self._configure(SessionConfig.set_session_id_prefix, f"{value}-")
            elif key in IGNORED_FIELDS:
                print(f"{key}: nothing to do locally; ignored.")
            else:
                self._configure(SessionConfig.set_argument, str(key), value)
        print("The following configurations have been updated:", json.dumps(values, default=str))

    @cell_magic
    def tags(self, line: str, cell: str) -> None:
        values = literal_dict(cell, "tags")
        self.session.config.tags.update({str(k): str(v) for k, v in values.items()})
        print(f"Tags: {json.dumps(self.session.config.tags)}")

    # -- data -----------------------------------------------------------------------------------
    @cell_magic
    def sql(self, line: str, cell: str) -> None:
        try:
            options = shlex.split(line)
        except ValueError as exc:
            raise UsageError(f"%%sql: {exc}") from None
        limit, output = 20, None
        while options:
            option = options.pop(0)
            if option in ("-n", "--limit") and options:
                try:
                    limit = int(options.pop(0))
                except ValueError:
                    raise UsageError("%%sql -n expects a number of rows") from None
            elif option in ("-o", "--output") and options:
                output = options.pop(0)
                if not output.isidentifier():
                    raise UsageError(f"%%sql -o expects a Python name, not {output!r}")
            else:
                raise UsageError(f"%%sql: unknown option {option!r}; usage: %%sql [-n ROWS] [-o NAME]")
        query = cell.strip().rstrip(";").strip()
        if not query:
            raise UsageError("%%sql: the cell holds no query")
        spark = self.kernel.spark_for_cell()
        frame = spark.sql(query)
        if output:
            self.shell.user_ns[output] = frame
        self._show(render.dataframe(frame, limit))

    @line_magic
    def catalog(self, line: str) -> None:
        catalog = self._services().catalog
        target = line.strip()
        try:
            if not target:
                databases = catalog.get_databases({}).get("DatabaseList", [])
                rows = [[d["Name"], d.get("LocationUri", ""), d.get("Description", "")] for d in databases]
                self._show(render.table(["Database", "Location", "Description"], rows))
            elif "." not in target:
                tables = catalog.get_tables({"DatabaseName": target}).get("TableList", [])
                rows = [
                    [
                        t["Name"],
                        (t.get("Parameters") or {}).get("classification", ""),
                        (t.get("StorageDescriptor") or {}).get("Location", ""),
                        len((t.get("StorageDescriptor") or {}).get("Columns", [])),
                    ]
                    for t in tables
                ]
                self._show(render.table(["Table", "Classification", "Location", "Columns"], rows))
            else:
                database, name = target.split(".", 1)
                table = catalog.get_table({"DatabaseName": database, "Name": name})["Table"]
                columns = (table.get("StorageDescriptor") or {}).get("Columns", [])
                rows = [[c["Name"], c.get("Type", ""), ""] for c in columns]
                rows += [
                    [c["Name"], c.get("Type", ""), "partition key"] for c in table.get("PartitionKeys", [])
                ]
                self._show(render.table(["Column", "Type", ""], rows, f"{database}.{name}"))
        except GlueError as exc:
            raise UsageError(f"{type(exc).__name__}: {exc}") from None

    @line_magic
    def bookmarks(self, line: str) -> None:
        from ..cli.bookmarks import summarise

        services = self._services()
        job = line.strip()
        if not job:
            rows = []
            for name in services.jobs.list_jobs({}).get("JobNames", []):
                record = services.bookmarks.load(name)
                if record is not None:
                    rows.append([name, record["Version"], record["Run"], record.get("RunId") or "-"])
            self._show(
                render.table(["Job", "Version", "Run", "Last RunId"], rows, f"{len(rows)} bookmark(s)")
            )
            return
        record = services.bookmarks.load(job)
        if record is None:
            raise UsageError(f"EntityNotFoundException: Job {job} has no bookmark")
        state = record.get("State") or {}
        rows = [[ctx, *summarise(state[ctx])] for ctx in sorted(state)]
        caption = (
            f"{job}: version {record['Version']}, run {record['Run']}, last run {record.get('RunId') or '-'}"
        )
        self._show(render.table(["transformation_ctx", "kind", "state"], rows, caption))
