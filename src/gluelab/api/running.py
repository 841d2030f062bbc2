"""Where a running ``gluelab serve`` (or lab) leaves its address (``<home>/run/server.json``; a lab also
``<home>/run/lab-<pid>.json``), and finding it: cheap to import (no HTTP server), for the CLI and run
processes. Also who holds a port, when it is one of this user's processes (Linux ``/proc``)."""

from __future__ import annotations

import atexit
import json
import os
import time
from pathlib import Path
from typing import Any

from ..config import Settings

SERVER_FILE = "server.json"
LAB_PREFIX = "lab-"
PROC = Path("/proc")


def server_file(settings: Settings) -> Path:
    return settings.run_dir / SERVER_FILE


def lab_file(settings: Settings) -> Path:
    """Where a lab records that it uses the home (whether or not it serves the endpoint)."""
    return settings.run_dir / f"{LAB_PREFIX}{os.getpid()}.json"


# The services a gluelab endpoint answers, each reached through its own AWS_ENDPOINT_URL_<SERVICE>.
SERVED = ("GLUE", "S3", "STS")


def client_environment(settings: Settings, url: str) -> dict[str, str]:
    """The environment that makes unmodified AWS clients (boto3, the AWS CLI, awswrangler, s3fs) reach the
    gluelab endpoint at ``url`` for Glue, S3 and STS, signed with the home's token."""
    env = {f"AWS_ENDPOINT_URL_{service}": url for service in SERVED}
    env.update(
        {
            "AWS_DEFAULT_REGION": settings.region,
            "AWS_ACCESS_KEY_ID": settings.access_key_id,
            "AWS_SECRET_ACCESS_KEY": settings.token,
        }
    )
    return env


def announcement(by: str, host: str, port: int, url: str) -> dict[str, Any]:
    """What a serving process writes about itself: enough to find it, tell it from a later process that
    got its pid, and stop it."""
    pid = os.getpid()
    return {
        "pid": pid,
        "host": host,
        "port": port,
        "url": url,
        "started": time.time(),
        "process_start": process_start(pid),
        "by": by,
    }


def record_lab(settings: Settings, host: str, port: int, url: str) -> Path:
    """Record that a lab (this process) uses the home, endpoint or not; forget labs that are gone."""
    for path in settings.run_dir.glob(f"{LAB_PREFIX}*.json"):
        if _live(path) is None:
            path.unlink(missing_ok=True)
    path = lab_file(settings)
    write_announcement(path, announcement("jupyter lab", host, port, url))
    return path


def write_announcement(path: Path, info: dict[str, Any]) -> None:
    """Write ``info`` at ``path`` whole; it is withdrawn when this process exits normally (Jupyter does
    not unload server extensions when the lab stops)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(info))
    tmp.replace(path)
    atexit.register(withdraw, path)


def withdraw(path: Path) -> None:
    """Remove an announcement if it is still this process's."""
    try:
        if json.loads(path.read_text()).get("pid") == os.getpid():
            path.unlink(missing_ok=True)
    except (OSError, ValueError):
        pass


def running_server(settings: Settings) -> dict[str, Any] | None:
    """The address of a live ``gluelab serve`` (or lab endpoint) for this home, if there is one."""
    return _live(server_file(settings))


def serving(home: Path) -> list[dict[str, Any]]:
    """The live processes that serve ``home``: its endpoint and any lab open on it, one entry each."""
    run = home / "run"
    found: dict[int, dict[str, Any]] = {}
    for path in [run / SERVER_FILE, *sorted(run.glob(f"{LAB_PREFIX}*.json"))]:
        info = _live(path)
        if info is not None:
            found.setdefault(int(info["pid"]), info)
    return list(found.values())


def describe(info: dict[str, Any]) -> str:
    """``jupyter lab (pid 123, port 8998, http://127.0.0.1:8998)``."""
    where = [f"pid {info['pid']}"]
    if info.get("port"):
        where.append(f"port {info['port']}")
    if info.get("url"):
        where.append(str(info["url"]))
    return f"{info.get('by', 'gluelab serve')} ({', '.join(where)})"


def stop_hint(info: dict[str, Any]) -> str:
    pid = info["pid"]
    if info.get("by") == "jupyter lab":
        return f"shut the lab down (File > Shut Down, or Ctrl-C where it runs) or run `kill {pid}`"
    return f"press Ctrl-C where it runs or run `kill {pid}`"


def _live(path: Path) -> dict[str, Any] | None:
    try:
        info = json.loads(path.read_text())
        pid = int(info["pid"])
        os.kill(pid, 0)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    recorded = info.get("process_start")
    if recorded is not None and process_start(pid) not in (None, recorded):
        return None  # the pid now belongs to a later process
    return info


def process_start(pid: int) -> int | None:
    """When ``pid`` started, in clock ticks since boot (``/proc/<pid>/stat``); None without ``/proc``."""
    try:
        text = (PROC / str(pid) / "stat").read_text()
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


# -- who holds a port --------------------------------------------------------------------------------------
def port_holder(port: int) -> dict[str, Any] | None:
    """The process of this user listening on TCP ``port``: its pid and command line, and, when it is a
    gluelab server or lab, its announcement and home. None when it cannot be seen (another user's
    process, or no ``/proc``)."""
    pid = _listening_pid(port)
    if pid is None:
        return None
    holder: dict[str, Any] = {"pid": pid, "command": _command(pid)}
    for home in _homes_of(pid):
        for info in serving(home):
            if int(info["pid"]) == pid:
                return {**holder, **info, "home": str(home)}
    return holder


def describe_holder(holder: dict[str, Any]) -> str:
    if holder.get("home"):
        return f"{describe(holder)}, serving {holder['home']}; to stop it, {stop_hint(holder)}"
    return f"pid {holder['pid']} ({holder['command'] or 'command unknown'})"


def _listening_pid(port: int) -> int | None:
    inodes = set()
    for table in ("tcp", "tcp6"):
        try:
            lines = (PROC / "net" / table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 9 and fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    if not inodes:
        return None
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd) in inodes:
                    return int(entry.name)
        except OSError:  # another user's process, or it ended
            continue
    return None


def _command(pid: int) -> str:
    try:
        command = (PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return command.replace(b"\0", b" ").decode(errors="replace").strip()


def _homes_of(pid: int) -> list[Path]:
    """Homes a process may serve: its GLUELAB_HOME, and the home of the server log it keeps open."""
    homes: list[Path] = []
    try:
        for item in (PROC / str(pid) / "environ").read_bytes().split(b"\0"):
            if item.startswith(b"GLUELAB_HOME="):
                home = Path(item.split(b"=", 1)[1].decode(errors="replace")).expanduser()
                cwd = Path(os.readlink(PROC / str(pid) / "cwd"))
                homes.append(home if home.is_absolute() else cwd / home)
    except OSError:
        pass
    try:
        for fd in (PROC / str(pid) / "fd").iterdir():
            target = os.readlink(fd)
            if target.endswith("/logs/server.log"):
                homes.append(Path(target).parent.parent)
    except OSError:
        pass
    return list(dict.fromkeys(homes))
