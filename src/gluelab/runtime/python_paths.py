"""Glue's Python special parameters, for a job run and for a kernel session alike: what an
``--extra-py-files`` location puts on ``sys.path``, and ``--additional-python-modules`` installed with pip
into a directory of the run's (or session's) own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import IO


def py_path_entry(path: Path) -> Path:
    """A ``.py`` file is imported from its folder; a ``.zip``, ``.whl`` or folder goes on the path itself."""
    return path.parent if path.suffix == ".py" else path


def pip_install(requirements: list[str], target: Path, installer_options: str, out: IO[str]) -> list[str]:
    """Install ``requirements`` into ``target`` with this interpreter's pip, its output written to ``out``.
    Returns the command line; raises ``RuntimeError`` when pip fails."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    command += ["--target", str(target), *installer_options.split(), *requirements]
    out.flush()
    done = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT)
    if done.returncode != 0:
        raise RuntimeError(f"pip could not install {', '.join(requirements)}")
    return command
