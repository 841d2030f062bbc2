"""gluelab's settings: the one place that reads environment variables and ``<home>/config.toml``.

Precedence, highest first: ``GLUELAB_*`` environment variables, ``<home>/config.toml``, defaults.
The home directory itself comes from ``GLUELAB_HOME`` (default ``~/.gluelab``).
"""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path

DEFAULT_PORT = 8998
TOKEN_FILE = "token"
CONFIG_FILE = "config.toml"
LOOPBACK_NAMES = ("localhost",)

log = logging.getLogger("gluelab.config")


class SettingsError(ValueError):
    """A setting has a value gluelab cannot use."""


@dataclass(frozen=True)
class Settings:
    home: Path
    warehouse_dir: Path
    database_url: str
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    region: str = "us-east-1"
    account_id: str = "123456789012"
    access_key_id: str = "gluelab"
    max_request_bytes: int = 8 * 1024 * 1024
    spark_master: str = "local[*]"
    # Extra Spark configuration for every session gluelab builds ([spark_conf] table in config.toml).
    spark_conf: tuple[tuple[str, str], ...] = ()
    # Pre-started job-run interpreters with Spark ready, kept by the supervisor (0 turns warm start off).
    warm_pool_size: int = 1
    # Pre-started interactive-session processes with Spark ready, kept by the server (0: sessions start cold).
    session_pool_size: int = 1
    # What the scheduler does with fire times it missed while no scheduler ran: run-once or skip.
    missed_schedules: str = "run-once"
    # Whether ``gluelab serve`` (and the lab) run a scheduler; several may, one at a time fires (a lease).
    scheduler: bool = True
    # Whether ``jupyter lab`` also serves the Glue API and Livy on host:port (for boto3 and sparkmagic in
    # its notebooks) when no ``gluelab serve`` runs for the home.
    lab_endpoint: bool = True
    # Whether a server may listen on an address other people's machines reach (a host not loopback).
    allow_remote: bool = False
    token_override: str | None = field(default=None, repr=False)

    # -- derived paths ------------------------------------------------------------------
    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        """Files a running server leaves for other processes (its address, its pid)."""
        return self.home / "run"

    @property
    def spark_events_dir(self) -> Path:
        return self.home / "spark-events"

    @property
    def token_path(self) -> Path:
        return self.home / TOKEN_FILE

    @property
    def token(self) -> str:
        """The shared secret boto3 clients sign with; created (mode 0600) on first use."""
        if self.token_override:
            return self.token_override
        return _read_or_create_token(self.token_path)

    def endpoint_url(self, host: str | None = None, port: int | None = None) -> str:
        return f"http://{host or self.host}:{port if port is not None else self.port}"

    def child_env(self) -> dict[str, str]:
        """Environment variables that make ``Settings.load()`` in a child process give these settings."""
        env = {
            "GLUELAB_HOME": str(self.home),
            "GLUELAB_WAREHOUSE_DIR": str(self.warehouse_dir),
            "GLUELAB_DATABASE_URL": self.database_url,
            "GLUELAB_REGION": self.region,
            "GLUELAB_ACCOUNT_ID": self.account_id,
            "GLUELAB_SPARK_MASTER": self.spark_master,
            "GLUELAB_WARM_POOL_SIZE": str(self.warm_pool_size),
            "GLUELAB_SESSION_POOL_SIZE": str(self.session_pool_size),
            "GLUELAB_MISSED_SCHEDULES": self.missed_schedules,
            "GLUELAB_SCHEDULER": "true" if self.scheduler else "false",
        }
        if self.token_override:
            env["GLUELAB_TOKEN"] = self.token_override
        return env

    def ensure_dirs(self) -> None:
        make_private_dir(self.home)
        for path in (self.warehouse_dir, self.logs_dir, self.run_dir):
            path.mkdir(parents=True, exist_ok=True)

    # -- loading ------------------------------------------------------------------------
    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if env is None else env
        home = Path(str(overrides.pop("home", None) or env.get("GLUELAB_HOME") or "~/.gluelab"))
        home = home.expanduser().resolve()
        file_values = _read_config_file(home / CONFIG_FILE)

        def pick(name: str, default: object) -> object:
            if name in overrides and overrides[name] is not None:
                return overrides[name]
            env_name = "GLUELAB_" + name.upper()
            if env.get(env_name):
                return env[env_name]
            if name in file_values:
                return file_values[name]
            return default

        warehouse = Path(str(pick("warehouse_dir", home / "warehouse"))).expanduser().resolve()
        values = {
            "home": home,
            "warehouse_dir": warehouse,
            "database_url": str(pick("database_url", f"sqlite:///{home / 'gluelab.db'}")),
            "host": str(pick("host", cls.host)),
            "port": _as_int("port", pick("port", cls.port)),
            "region": str(pick("region", cls.region)),
            "account_id": str(pick("account_id", cls.account_id)),
            "access_key_id": str(pick("access_key_id", cls.access_key_id)),
            "max_request_bytes": _as_int(
                "max_request_bytes", pick("max_request_bytes", cls.max_request_bytes)
            ),
            "spark_master": str(pick("spark_master", cls.spark_master)),
            "spark_conf": _as_conf(file_values.get("spark_conf", {})),
            "warm_pool_size": _as_int("warm_pool_size", pick("warm_pool_size", cls.warm_pool_size)),
            "session_pool_size": _as_int(
                "session_pool_size", pick("session_pool_size", cls.session_pool_size)
            ),
            "missed_schedules": str(pick("missed_schedules", cls.missed_schedules)),
            "scheduler": _as_bool("scheduler", pick("scheduler", cls.scheduler)),
            "lab_endpoint": _as_bool("lab_endpoint", pick("lab_endpoint", cls.lab_endpoint)),
            "allow_remote": _as_bool("allow_remote", pick("allow_remote", cls.allow_remote)),
            "token_override": pick("token", None),
        }
        unknown = set(file_values) - {f.name for f in fields(cls)} - {"token"}
        if unknown:
            raise SettingsError(f"{home / CONFIG_FILE}: unknown setting(s): {', '.join(sorted(unknown))}")
        if not (0 <= values["port"] <= 65535):
            raise SettingsError(f"port must be between 0 and 65535, not {values['port']}")
        if not (0 <= values["warm_pool_size"] <= 8):
            raise SettingsError(f"warm_pool_size must be between 0 and 8, not {values['warm_pool_size']}")
        if not (0 <= values["session_pool_size"] <= 4):
            raise SettingsError(
                f"session_pool_size must be between 0 and 4, not {values['session_pool_size']}"
            )
        if values["missed_schedules"] not in ("run-once", "skip"):
            raise SettingsError(
                f"missed_schedules must be run-once or skip, not {values['missed_schedules']!r}"
            )
        if not (len(values["account_id"]) == 12 and values["account_id"].isdigit()):
            raise SettingsError(f"account_id must be 12 digits, not {values['account_id']!r}")
        return cls(**values)  # type: ignore[arg-type]


def _as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false, not {value!r}")


def _as_int(name: str, value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise SettingsError(f"{name} must be an integer, not {value!r}") from None


def _as_conf(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise SettingsError(
            "spark_conf must be a table of Spark settings: [spark_conf] then "
            '"spark.sql.shuffle.partitions" = "8"'
        )
    return tuple(sorted((str(k), str(v)) for k, v in value.items()))


def _read_config_file(path: Path) -> dict[str, object]:
    if not path.exists():
        return {}
    try:
        with path.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    # Accept both a flat file and a [gluelab] table.
    return dict(data.get("gluelab", data))


def is_loopback(host: str) -> bool:
    """Whether ``host`` is reachable from this machine only (127.0.0.0/8, ::1, localhost)."""
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to any interface


def make_private_dir(path: Path) -> None:
    """Create ``path`` (mode 0700), or take group and other access away from an existing one: the home
    holds the token and the store, and whoever reads the token can run code as this user."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _make_private(path, 0o700)


def _make_private(path: Path, mode: int) -> None:
    try:
        current = stat.S_IMODE(path.stat().st_mode)
        if current & 0o077:
            os.chmod(path, mode)
            log.warning("%s was readable by others (mode %o): now %o", path, current, mode)
    except OSError as exc:  # not ours, or a file system without modes: say so, go on
        log.warning("cannot make %s private (mode %o): %s", path, mode, exc)


def _read_or_create_token(path: Path) -> str:
    try:
        token = path.read_text().strip()
    except FileNotFoundError:
        pass
    else:
        _make_private(path, 0o600)
        return token
    make_private_dir(path.parent)
    token = secrets.token_urlsafe(30)
    # Write a private temp file, then hard-link it into place: the token appears whole or not at all,
    # and when two processes race, both end up with the winner's token.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(token + "\n")
    try:
        os.link(tmp, path)
    except FileExistsError:
        token = path.read_text().strip()
    finally:
        tmp.unlink()
    return token
