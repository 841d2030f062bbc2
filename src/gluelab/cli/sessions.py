"""``gluelab sessions`` (interactive sessions: list, stop) and ``gluelab endpoint`` (the development
endpoint: its status, and a sparkmagic configuration that points at it)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import typer
from rich.table import Table

from ..sessions.livy import livy_state
from ..sessions.service import session_shape
from .render import console, fail, print_json, when
from .state import services, settings

app = typer.Typer(
    no_args_is_help=True, help="Interactive Spark sessions (Livy and Glue interactive sessions)."
)
endpoint_app = typer.Typer(no_args_is_help=True, help="The development endpoint: status, client set-up.")


@app.command("list")
def list_(
    all_: bool = typer.Option(False, "--all", "-a", help="Also ended sessions."),
    as_json: bool = typer.Option(False, "--json", help="Print Glue-shaped JSON."),
) -> None:
    """Sessions with their status, Livy id and state, and how long they have run."""
    service = services().sessions
    views = [v for v in service.all() if all_ or v.status in ("PROVISIONING", "READY", "STOPPING")]
    if as_json:
        print_json([{**session_shape(v), "LivyId": v.id} for v in views])
        return
    table = Table("Id", "Livy id", "Status", "Livy state", "Created", "Start", "Log")
    for view in views:
        busy = service.busy(view, touch=False)
        table.add_row(
            view.session_id,
            str(view.id),
            view.status,
            livy_state(view, busy),
            when(view.created_on),
            "warm" if view.warm else "cold",
            str(view.log_path or ""),
        )
    console.print(table if views else "No sessions" + ("" if all_ else " running (--all shows ended ones)."))


@app.command()
def stop(
    session_id: str = typer.Argument(None, help="The session's Id (or Livy id)."),
    all_: bool = typer.Option(False, "--all", help="Stop every running session."),
) -> None:
    """Stop a session (StopSession), or all of them."""
    service = services().sessions
    if all_:
        targets = [v for v in service.all() if v.status in ("PROVISIONING", "READY")]
    elif session_id:
        view = next((v for v in service.all() if session_id in (v.session_id, str(v.id))), None)
        if view is None:
            fail(f"EntityNotFoundException: Session not found: {session_id}")
        targets = [view]
    else:
        fail("name a session, or pass --all")
    for view in targets:
        service.stop(view)
        console.print(f"Stopping {view.session_id}")


def _livy_url() -> tuple[str, bool]:
    from ..api.running import running_server

    s = settings()
    running = running_server(s)
    return (running["url"] if running else s.endpoint_url()), bool(running)


@endpoint_app.command()
def status(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Where the endpoint answers (Glue API, S3, Livy REST), its sessions and its warm spares."""
    from ..api.running import describe, describe_holder, port_holder, running_server

    s = settings()
    answer = services().sessions.get_endpoint_status({})
    url, running = answer["Url"], answer["ServerRunning"]
    server = running_server(s) if running else None
    # Nothing serves this home: say who holds its port, if anyone (a lab or server of another home).
    holder = port_holder(s.port) if not running and s.port else None
    info = {
        "server_running": running,
        "server": server,
        "port_holder": holder,
        "glue_endpoint": url,
        "livy_url": url,
        "s3_endpoint": url,
        "sessions_running": answer["SessionsRunning"],
        "sessions_total": answer["SessionsTotal"],
        "sessions_by_status": answer["SessionsByStatus"],
        "warm_spares_ready": answer["WarmSparesReady"],
        "session_pool_size": answer["SessionPoolSize"],
    }
    if as_json:
        print_json(info)
        return
    if server is not None:
        state = f"[green]running[/]: {describe(server)}"
    elif holder is not None:
        state = f"[yellow]not running[/] for {s.home}; port {s.port} is held by {describe_holder(holder)}"
    else:
        state = "[yellow]not running[/] (start it: gluelab serve)"
    console.print(f"server            {state}", soft_wrap=True)
    console.print(f"Glue API          {url}  (boto3, the Glue interactive-sessions kernel)")
    console.print(f"S3 (the lake)     {url}  (boto3, the AWS CLI, awswrangler, s3fs, pyarrow)")
    console.print(f"Livy REST         {url}  (sparkmagic, pylivy)")
    console.print(f"sessions          {info['sessions_running']} running, {info['sessions_total']} recorded")
    console.print(f"warm spares       {info['warm_spares_ready']} ready of {info['session_pool_size']}")


@endpoint_app.command("sparkmagic-config")
def sparkmagic_config(
    path: Path = typer.Option(
        None, "--path", help="Where to write (default $SPARKMAGIC_CONF_DIR/config.json or ~/.sparkmagic)."
    ),
    force: bool = typer.Option(False, "--force", help="Replace an existing file."),
) -> None:
    """Write a sparkmagic config.json whose PySpark kernel talks to this endpoint."""
    url, _ = _livy_url()
    if path is None:
        path = Path(os.environ.get("SPARKMAGIC_CONF_DIR") or "~/.sparkmagic").expanduser() / "config.json"
    if path.exists() and path.stat().st_size and not force:
        fail(f"{path} exists; pass --force to replace it")
    credentials = {"username": "gluelab", "password": settings().token, "url": url, "auth": "Basic_Access"}
    config = {
        "kernel_python_credentials": credentials,
        "livy_session_startup_timeout_seconds": 120,
        "wait_for_idle_timeout_seconds": 15,
        "livy_server_heartbeat_timeout_seconds": 60,
        "heartbeat_refresh_seconds": 30,
        "use_auto_viz": True,
        "coerce_dataframe": True,
        "default_maxrows": 2500,
        "session_configs": {},
        "session_configs_defaults": {},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(config, indent=2) + "\n")
    os.chmod(path, 0o600)  # it holds the token
    console.print(f"Wrote {path}: sparkmagic's PySpark kernel now uses {url}")


def _put_section(path: Path, header: str, lines: list[str], force: bool) -> None:
    """Add (or with ``force`` replace) one ``[header]`` section of an AWS ini file, keeping the rest of
    the file (comments included) as it is."""
    text = path.read_text() if path.exists() else ""
    kept: list[str] = []
    inside = found = False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            inside = stripped[1:-1].strip() == header
            found = found or inside
        if not inside:
            kept.append(line)
    if found and not force:
        fail(f"{path} already has [{header}]; pass --force to replace it")
    body = "\n".join(kept).rstrip()
    section = "\n".join([f"[{header}]", *lines])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((body + "\n\n" if body else "") + section + "\n")
    os.chmod(path, 0o600)


@endpoint_app.command("aws-profile")
def aws_profile(
    name: str = typer.Option("gluelab", "--name", help="The profile's name."),
    force: bool = typer.Option(False, "--force", help="Replace a profile of that name."),
) -> None:
    """Write an AWS profile that points at this endpoint for Glue, S3 and STS (region, endpoint_url,
    gluelab's key and token, a role for Glue's interactive-sessions kernel). Files: $AWS_CONFIG_FILE and
    $AWS_SHARED_CREDENTIALS_FILE, or ~/.aws/config and ~/.aws/credentials."""
    s = settings()
    url, _ = _livy_url()
    config = Path(os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config").expanduser()
    credentials = Path(os.environ.get("AWS_SHARED_CREDENTIALS_FILE") or "~/.aws/credentials").expanduser()
    role = f"arn:aws:iam::{s.account_id}:role/gluelab"
    header = name if name == "default" else f"profile {name}"
    lines = [f"region = {s.region}", f"endpoint_url = {url}", f"glue_iam_role = {role}"]
    # The endpoint serves S3 too; path-style keeps bucket names out of the host name.
    lines += ["s3 =", "    addressing_style = path"]
    _put_section(config, header, lines, force)
    keys = [f"aws_access_key_id = {s.access_key_id}", f"aws_secret_access_key = {s.token}"]
    _put_section(credentials, name, keys, force)
    console.print(
        f"Wrote profile {name!r} to {config} and {credentials}: boto3 (glue, s3, sts), the AWS CLI and "
        f"Glue's kernel reach {url}"
    )
    console.print(f"In a Glue PySpark notebook: %profile {name}   (or set glue_profile={name})")
