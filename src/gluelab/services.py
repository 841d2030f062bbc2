"""Builds gluelab's services over one store; every face (API, CLI, lab, kernel) goes through these."""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any

from .catalog import CatalogService
from .config import Settings
from .crawler import CrawlerService
from .jobs import JobService
from .jobs.notebooks import NotebookService
from .operations import operations_of
from .orchestration.engine import Engine
from .orchestration.triggers import TriggerService
from .orchestration.workflows import WorkflowService
from .runtime.bookmarks import BookmarkService
from .sessions.service import SessionService
from .store import Store


class Services:
    def __init__(self, settings: Settings, store: Store | None = None):
        self.settings = settings
        self.store = store or Store(settings.database_url)
        self.store.ensure_schema()
        self.catalog = CatalogService(self.store, settings)
        self.bookmarks = BookmarkService(self.store, settings)
        self.crawlers = CrawlerService(self.store, settings)
        self.jobs = JobService(self.store, settings)
        self.engine = Engine(self.store, settings, self.jobs, self.crawlers)
        self.triggers = TriggerService(self.store, settings, self.engine)
        self.workflows = WorkflowService(self.store, settings, self.engine)
        self.sessions = SessionService(self.store, settings)
        self.notebooks = NotebookService(self.store, settings, self.jobs, self.triggers)

    @cached_property
    def operations(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        """Glue operation name -> the bound service method implementing it."""
        table: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {}
        for service in (
            self.catalog,
            self.bookmarks,
            self.crawlers,
            self.jobs,
            self.triggers,
            self.workflows,
            self.sessions,
            self.notebooks,
        ):
            for name, method in operations_of(service):
                if name in table:
                    raise RuntimeError(f"{name} is implemented twice")
                table[name] = method
        return table

    def close(self) -> None:
        self.store.dispose()


_shared: dict[Settings, Services] = {}


def shared_services(settings: Settings) -> Services:
    """One Services per settings for this process (the Spark side: GlueContexts and the catalog bridge)."""
    if settings not in _shared:
        _shared[settings] = open_services(settings)
    return _shared[settings]


def open_services(settings: Settings | None = None) -> Services:
    settings = settings or Settings.load()
    settings.ensure_dirs()
    return Services(settings)
