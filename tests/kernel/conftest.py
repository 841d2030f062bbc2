"""The "Glue PySpark (local)" kernel, started from its installed kernelspec with a gluelab home of its
own; the test process reaches the same store through the services."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gluelab.config import Settings
from gluelab.services import Services, open_services
from tests.helpers import gluelab_env
from tests.kernels import Kernel

KERNEL = "glue_pyspark_local"


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("kernel") / "home"


@pytest.fixture(scope="module")
def kernel_services(home: Path) -> Iterator[Services]:
    services = open_services(Settings.load(gluelab_env(home)))
    yield services
    services.close()


@pytest.fixture(scope="module")
def kernel(home: Path, kernel_services: Services) -> Iterator[Kernel]:
    started = Kernel(KERNEL, gluelab_env(home))
    yield started
    started.close()
