"""What gluelab needs from the machine besides Python packages: a Java for Spark with its ``javac`` (the
lake's s3:// FileSystem is compiled here), and Debian's JDBC driver packages (with ``--test``, also what
the test suite's clients build against). ``python -m gluelab.runtime.system [--install] [--test]`` checks
them (and, as root with apt-get, installs what is missing), then builds the lake's FileSystem jar;
``make setup`` runs it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

from . import lakefs
from .java import DEBIAN_PACKAGE, JavaNotFound, find_java, require_java
from .jdbc import DRIVERS

# What the test suite needs: sparkmagic's Kerberos support compiles against libkrb5-dev; the lab's
# browser tests drive Debian's Chromium.
TEST_PACKAGES = {"krb5-config": "libkrb5-dev", "chromium": "chromium"}


def missing_packages(for_tests: bool = False) -> list[str]:
    packages = []
    if for_tests:
        packages += [package for tool, package in TEST_PACKAGES.items() if shutil.which(tool) is None]
    java, _ = find_java()
    if java is None:
        packages.append(DEBIAN_PACKAGE)
    if java is None or not ((java.home / "bin" / "javac").exists() or shutil.which("javac")):
        packages.append(lakefs.JDK_PACKAGE)
    for driver in dict.fromkeys(DRIVERS.values()):
        if not driver.jar_path.exists():
            packages.append(driver.debian_package)
    return packages


def install(packages: list[str]) -> None:
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        raise RuntimeError(
            f"installing {' '.join(packages)} needs root and apt-get: "
            f"run `sudo apt-get install -y {' '.join(packages)}`"
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-q"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-q", *packages], check=True, env=env)


def main() -> None:
    for_tests = "--test" in sys.argv
    missing = missing_packages(for_tests)
    if missing and "--install" in sys.argv:
        print(f"Installing Debian packages: {' '.join(missing)}", file=sys.stderr)
        try:
            install(missing)
        except (RuntimeError, OSError, subprocess.CalledProcessError) as exc:
            sys.exit(f"error: {exc}")
        missing = missing_packages(for_tests)
    try:
        java = require_java()
    except JavaNotFound as exc:
        sys.exit(f"error: {exc}")
    print(f"Java {java.major} at {java.home} (from {java.source})")
    if lakefs.JDK_PACKAGE not in missing:
        try:
            print(f"Lake FileSystem for Spark (s3://): {lakefs.jar_path()}")
        except lakefs.LakeFsBuildError as exc:
            sys.exit(f"error: {exc}")
    for vendor in ("postgresql", "mysql"):
        driver = DRIVERS[vendor]
        state = "ok" if driver.jar_path.exists() else f"missing: apt-get install {driver.debian_package}"
        print(f"JDBC driver for {vendor}: {driver.jar_path} ({state})")
    if missing:
        sys.exit(
            f"error: missing Debian packages: {' '.join(missing)} (apt-get install -y {' '.join(missing)})"
        )


if __name__ == "__main__":
    main()
