"""Shared fixtures. Store, catalog and API tests run on SQLite and on PostgreSQL (127.0.0.1:5432)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from gluelab.config import Settings
from gluelab.services import Services
from gluelab.store import Store
from tests.helpers import ServerProcess, create_pg_database, drop_pg_database, postgres_available, unavailable

BACKENDS = ["sqlite", "postgresql"]


def _require_postgres() -> None:
    if not postgres_available():
        unavailable("PostgreSQL is not reachable on 127.0.0.1:5432 (set GLUELAB_TEST_PG_URL)")


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """One PostgreSQL database for the session, migrated once; tests empty it after use."""
    _require_postgres()
    url = create_pg_database()
    store = Store(url)
    store.migrate()
    store.dispose()
    yield url
    drop_pg_database(url)


def _truncate_all(store: Store) -> None:
    with store.engine.begin() as conn:
        names = [n for n in store.table_names() if n != "alembic_version"]
        conn.execute(sa.text("TRUNCATE " + ", ".join(f'"{n}"' for n in names) + " RESTART IDENTITY CASCADE"))


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Store]:
    if backend == "sqlite":
        s = Store(f"sqlite:///{tmp_path / 'gluelab.db'}")
        s.migrate()
        yield s
        s.dispose()
    else:
        s = Store(request.getfixturevalue("pg_url"))
        s.migrate()
        yield s
        _truncate_all(s)
        s.dispose()


@pytest.fixture
def settings(tmp_path: Path, store: Store) -> Settings:
    return Settings.load(env={"GLUELAB_HOME": str(tmp_path / "home")}, database_url=str(store.url))


@pytest.fixture
def services(settings: Settings, store: Store) -> Services:
    settings.ensure_dirs()
    return Services(settings, store)


@pytest.fixture
def catalog(services: Services):  # type: ignore[no-untyped-def]
    return services.catalog


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ServerProcess]:
    """A real ``gluelab serve`` subprocess, on SQLite or on its own PostgreSQL database."""
    database_url = None
    if request.param == "postgresql":
        _require_postgres()
        database_url = create_pg_database()
    home = tmp_path_factory.mktemp(f"serve-{request.param}") / "home"
    extra_env = getattr(request.module, "SERVER_ENV", {})  # a module may set GLUELAB_* for its server
    proc = ServerProcess(home, database_url, **extra_env).start()
    yield proc
    proc.stop()
    if database_url:
        drop_pg_database(database_url)


@pytest.fixture
def glue(server: ServerProcess):  # type: ignore[no-untyped-def]
    """A boto3 Glue client signed with the server's token; the catalog is emptied afterwards."""
    client = server.client()
    yield client
    for db in client.get_databases()["DatabaseList"]:
        client.delete_database(Name=db["Name"])
    for conn in client.get_connections()["ConnectionList"]:
        client.delete_connection(ConnectionName=conn["Name"])
    for name in client.list_jobs()["JobNames"]:
        client.delete_job(JobName=name)
    for name in client.list_crawlers()["CrawlerNames"]:
        client.delete_crawler(Name=name)
    for classifier in client.get_classifiers()["Classifiers"]:
        client.delete_classifier(Name=next(iter(classifier.values()))["Name"])
