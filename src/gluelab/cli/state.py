"""The services the CLI works on, opened once per command from the settings."""

from __future__ import annotations

from functools import cache

from ..config import Settings
from ..services import Services, open_services


@cache
def settings() -> Settings:
    return Settings.load()


@cache
def services() -> Services:
    return open_services(settings())
