"""The ``gluelab`` command: a thin face over gluelab's services (typer + rich)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

import typer
from rich.table import Table

from .. import __version__
from ..config import Settings, SettingsError
from ..errors import GlueError
from ..runtime.glue_versions import DEFAULT_GLUE_VERSION
from ..runtime.java import JavaNotFound, find_java, install_java
from . import bookmarks, catalog, crawlers, jobs, notebooks, sessions, triggers, workflows
from .render import console, fail, print_json
from .state import services, settings

app = typer.Typer(
    name="gluelab",
    help="AWS Glue, local: a Data Catalog and a Glue-compatible API, Spark jobs, notebooks.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(catalog.app, name="catalog")
app.add_typer(bookmarks.app, name="bookmarks")
app.add_typer(crawlers.app, name="crawlers")
app.add_typer(jobs.app, name="jobs")
app.add_typer(notebooks.app, name="notebooks")
app.add_typer(triggers.app, name="triggers")
app.add_typer(workflows.app, name="workflows")
app.add_typer(sessions.app, name="sessions")
app.add_typer(sessions.endpoint_app, name="endpoint")


def _version(value: bool) -> None:
    if value:
        console.print(f"gluelab {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    home: Path = typer.Option(
        None, "--home", envvar="GLUELAB_HOME", help="gluelab's home directory (default ~/.gluelab)."
    ),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version."
    ),
) -> None:
    if home:
        os.environ["GLUELAB_HOME"] = str(home)


@app.command()
def init() -> None:
    """Create the home directory, the access token and the store (safe to run again)."""
    s = settings()
    s.ensure_dirs()
    token_existed = s.token_path.exists()
    _ = s.token
    store = services().store
    console.print(f"[bold green]gluelab is ready[/] in {s.home}")
    console.print(f"  warehouse   {s.warehouse_dir}")
    console.print(f"  store       {store.url.render_as_string()} (schema {store.current_revision()})")
    console.print(f"  token       {s.token_path} ({'kept' if token_existed else 'created'}, mode 0600)")
    console.print("Next: [bold]gluelab serve[/] to start the API, [bold]gluelab credentials[/] for boto3.")


@app.command()
def serve(
    host: str = typer.Option(None, "--host", help="Address to bind (default 127.0.0.1)."),
    port: int = typer.Option(None, "--port", help="Port (default 8998; 0 picks a free one)."),
    allow_remote: bool = typer.Option(
        False,
        "--allow-remote",
        help="Let --host be an address other machines reach (0.0.0.0, a LAN address): the token then "
        "lets them run code as you, over plain HTTP.",
    ),
) -> None:
    """Run the Glue API server until Ctrl-C."""
    from ..api.server import ServeError, exposure, remote_refusal
    from ..api.server import serve as run_server
    from ..config import is_loopback

    s = settings()
    bind = host or s.host
    allow_remote = allow_remote or s.allow_remote
    if not allow_remote and (refusal := remote_refusal(s, bind)):
        fail(refusal)
    if not is_loopback(bind):
        console.print(
            f"[bold yellow]warning:[/] listening on {bind}, which other machines may reach. " + exposure(s),
            soft_wrap=True,
        )

    def ready(info: dict[str, object]) -> None:
        console.print(f"gluelab {__version__}: Glue API on [bold]{info['url']}[/] (region {s.region})")
        console.print(
            f"  credentials: gluelab credentials    logs: {s.logs_dir / 'server.log'}    Ctrl-C stops"
        )

    try:
        run_server(s, host, port, ready=ready, allow_remote=allow_remote)
    except ServeError as exc:
        fail(str(exc))


@app.command()
def credentials(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    as_env: bool = typer.Option(False, "--env", help="Print shell exports for boto3 and the AWS CLI."),
) -> None:
    """What a boto3 client (glue, s3, sts) needs to talk to gluelab: endpoint, region, access key id, secret
    (the token)."""
    from ..api.running import running_server

    s = settings()
    s.ensure_dirs()
    running = running_server(s)
    endpoint = running["url"] if running else s.endpoint_url()
    values = {
        "endpoint_url": endpoint,
        "region_name": s.region,
        "aws_access_key_id": s.access_key_id,
        "aws_secret_access_key": s.token,
    }
    if as_json:
        print_json({**values, "server_running": bool(running)})
        return
    if as_env:
        from ..api.running import client_environment

        print("\n".join(f"export {k}={v}" for k, v in client_environment(s, endpoint).items()))
        return
    for key, value in values.items():
        console.print(f"{key:<22}{value}")
    if not running:
        console.print("[yellow]The server is not running:[/] start it with [bold]gluelab serve[/].")
    console.print('\nboto3.client("glue", ' + ", ".join(f'{k}="{v}"' for k, v in values.items()) + ")")
    console.print('The same endpoint serves "s3" (the warehouse) and "sts".')


@app.command()
def doctor(
    install_java_: bool = typer.Option(
        False,
        "--install-java",
        help="Install OpenJDK 17 with apt-get when no Java 17/21 is found (needs root).",
    ),
) -> None:
    """Check what gluelab needs: Python, Java for Spark, the store, the home directory."""
    checks: list[tuple[str, bool, str]] = []
    checks.append(("python", sys.version_info >= (3, 11), platform.python_version()))
    java, notes = find_java()
    if java is None and install_java_:
        console.print("No Java 17/21 found; installing Debian's OpenJDK 17 ...")
        try:
            java = install_java()
        except (JavaNotFound, OSError) as exc:
            notes.append(str(exc))
    checks.append(
        (
            "java",
            java is not None,
            f"Java {java.major} at {java.home} (from {java.source})"
            if java
            else "; ".join(notes)
            or "no Java 17/21: apt-get install openjdk-17-jre-headless, or set JAVA_HOME",
        )
    )
    try:
        s = settings()
        s.ensure_dirs()
        store = services().store
        checks.append(("store", True, f"{store.url.render_as_string()} at schema {store.current_revision()}"))
        checks.append(("home", os.access(s.home, os.W_OK), str(s.home)))
        checks.append(("warehouse", os.access(s.warehouse_dir, os.W_OK), str(s.warehouse_dir)))
    except Exception as exc:  # report every failure as a row, not a traceback
        checks.append(("store", False, str(exc)))
    table = Table("check", "ok", "detail", title="gluelab doctor")
    for name, ok, detail in checks:
        table.add_row(name, "[green]yes[/]" if ok else "[red]no[/]", detail)
    console.print(table)
    if not all(ok for _, ok, _ in checks):
        raise typer.Exit(1)


@app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def run(
    ctx: typer.Context,
    script: Path = typer.Argument(..., help="The Glue script (Python)."),
    worker_type: str = typer.Option(
        None, "--worker-type", help="Glue WorkerType (G.1X, G.2X ...): sizes Spark."
    ),
    number_of_workers: int = typer.Option(None, "--number-of-workers", help="Glue NumberOfWorkers."),
    master: str = typer.Option(
        None, "--master", help="Spark master URL (default: the spark_master setting)."
    ),
    glue_version: str = typer.Option(
        DEFAULT_GLUE_VERSION,
        "--glue-version",
        help="GlueVersion whose Spark SQL semantics the script gets (5.0: ANSI mode off, as Spark 3.5).",
    ),
) -> None:
    """Run a Glue ETL script unmodified: gluelab run script.py --JOB_NAME x --key value ...

    gluelab's own options come before the script; everything after it is the script's arguments.

    boto3 in the script reaches the gluelab serve or lab that serves this home, if one does
    (unless you set AWS_ENDPOINT_URL_GLUE or AWS_ENDPOINT_URL)."""
    from ..runtime.glue_versions import GlueVersionError, check_glue_version
    from ..runtime.runner import ScriptFailed, run_script
    from ..runtime.spark import SparkSetupError, SparkSpec

    try:
        spec = SparkSpec(
            worker_type=worker_type,
            number_of_workers=number_of_workers,
            master=master,
            glue_version=check_glue_version(glue_version),
        )
        s = settings()
        print(f"gluelab: {aws_clients_for_run(s)}", file=sys.stderr, flush=True)
        code = run_script(s, script.resolve(), list(ctx.args), spec)
    except (SparkSetupError, GlueVersionError, FileNotFoundError) as exc:
        fail(str(exc))
    except ScriptFailed as failed:  # the user's error first, their frames only; the full trace in a file
        print(failed.shown, file=sys.stderr, flush=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


def aws_clients_for_run(s: Settings) -> str:
    """Point AWS clients in a script run here (boto3, the AWS CLI, awswrangler) at the gluelab endpoint
    that serves this home, as job runs started through the API are, unless the user chose an endpoint of
    their own; returns the sentence that says where their calls go."""
    from ..api.running import client_environment, running_server

    for own in ("AWS_ENDPOINT_URL_GLUE", "AWS_ENDPOINT_URL"):
        if os.environ.get(own):
            return f"{own} is set ({os.environ[own]}): boto3 calls use it and your own AWS credentials"
    server = running_server(s)
    if server is None:
        return (
            f"nothing serves {s.home} (start `gluelab serve` or `gluelab lab` to reach its catalog and "
            "lake): boto3 calls in the script go to AWS's own endpoints, with your AWS credentials if any"
        )
    values = client_environment(s, server["url"])
    if os.environ.get("AWS_REGION"):  # read by some SDKs before AWS_DEFAULT_REGION
        values["AWS_REGION"] = s.region  # the endpoint answers signatures scoped to its region only
    os.environ.pop("AWS_SESSION_TOKEN", None)  # it belongs to credentials replaced here
    os.environ.update(values)
    return (
        f"boto3's glue, s3 and sts clients reach {server.get('by', 'gluelab serve')} at {server['url']} "
        "(AWS_ENDPOINT_URL_GLUE, _S3, _STS)"
    )


@app.command()
def demo(
    workspace: Path = typer.Option(
        Path("gluelab-demo"),
        "--workspace",
        help="Where the demo keeps its home, warehouse and logs (recreated on each run; refused while a "
        "server or lab serves it).",
    ),
) -> None:
    """Run gluelab's main job: raw files, a crawl, a workflow (Glue ETL script with bookmarks, notebook job,
    summary) and its file-arrival trigger, all through the Glue API with boto3; prints what it built."""
    from ..demo import DemoFailed, DemoRefused, run_demo

    try:
        run_demo(workspace.resolve())
    except DemoRefused as exc:
        fail(f"the demo did not start: {exc}")
    except DemoFailed as exc:
        fail(f"the demo failed: {exc}")


def main() -> None:
    try:
        app()
    except GlueError as exc:
        fail(f"{exc.code}: {exc.message}")
    except (SettingsError, JavaNotFound) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted", 130)
