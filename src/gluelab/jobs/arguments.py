"""A run's arguments: the job's DefaultArguments merged with the run's Arguments, NonOverridableArguments
enforced, Glue's runtime arguments injected, and Glue's special parameters sorted into those gluelab
honours and those it accepts and ignores (each with a note for the run log)."""

from __future__ import annotations

import json
from typing import Any

from ..errors import InvalidInputException
from ..runtime.paths import check_location

RUNTIME_INJECTED = ("--JOB_NAME", "--JOB_ID", "--JOB_RUN_ID")
# gluelab's own: a Livy batch's ``args`` (a JSON list), which its script gets as sys.argv[1:].
POSITIONAL_ARGV = "--gluelab-positional-argv"

# Special parameters gluelab acts on (see the launchers); the value says how, for the run log.
HONOURED = {
    "--job-bookmark-option": "job bookmarks",
    "--job-bookmark-from": "job bookmarks",
    "--job-bookmark-to": "job bookmarks",
    "--TempDir": "created in the warehouse",
    "--scriptLocation": "the script run",
    "--extra-py-files": "added to sys.path",
    "--extra-files": "copied into the working directory",
    "--extra-jars": "added to Spark's class path (cold start)",
    "--additional-python-modules": "installed with pip for this run",
    "--python-modules-installer-option": "passed to pip",
    "--conf": "Spark configuration (cold start)",
    "--enable-metrics": "live metrics while the run goes on",
    "--enable-spark-ui": "Spark UI on a free port, event log kept (cold start)",
    "--spark-event-logs-path": "the event log is copied there",
    "--enable-continuous-cloudwatch-log": "live logs (line-buffered output)",
    "--enable-glue-datacatalog": "always on: spark.sql sees the Data Catalog",
    "--customer-driver-env-vars": "set in the driver's environment",
    "--job-language": "python only",
    POSITIONAL_ARGV: "a Livy batch's own arguments, the script's sys.argv",
}

# Accepted and ignored: they configure AWS services or cluster features that do not exist locally.
IGNORED = (
    "--enable-continuous-log-filter",
    "--continuous-log-logGroup",
    "--continuous-log-logStreamPrefix",
    "--continuous-log-conversionPattern",
    "--enable-observability-metrics",
    "--enable-job-insights",
    "--enable-auto-scaling",
    "--auto-scale-within-microbatch",
    "--executor-cores",
    "--datalake-formats",
    "--enable-s3-parquet-optimized-committer",
    "--enable-rename-algorithm-v2",
    "--use-postgres-driver",
    "--user-jars-first",
    "--write-shuffle-files-to-s3",
    "--write-shuffle-spills-to-s3",
    "--shuffle-storage-path",
    "--encryption-type",
    "--enable-data-lineage",
    "--enable-lakeformation-fine-grained-access",
    "--customer-executor-env-vars",
    "--disable-proxy-v2",
    "--SECURITY_CONFIGURATION",
    "--RedshiftTempDir",
    "--debug",
    "--mode",
)


def check_arguments(arguments: dict[str, Any], where: str = "Arguments") -> dict[str, str]:
    """Glue's argument maps are str → str with names starting ``--``."""
    for name, value in arguments.items():
        if not isinstance(name, str) or not name.startswith("--"):
            raise InvalidInputException(f"{where} names start with --: {name!r}")
        if not isinstance(value, str):
            raise InvalidInputException(
                f"{where}[{name!r}] must be a string, not {type(value).__name__} ({value!r})"
            )
    return dict(arguments)


# Special parameters whose values are locations (comma-separated lists for the --extra-* ones): they follow
# the lake's rule (runtime.paths), so a relative path is refused rather than taken from some process's cwd.
LOCATION_ARGUMENTS = ("--scriptLocation", "--TempDir", "--spark-event-logs-path")
LOCATION_LIST_ARGUMENTS = ("--extra-py-files", "--extra-files", "--extra-jars")


def check_locations(arguments: dict[str, str], where: str = "Arguments") -> None:
    """InvalidInputException for a location-valued special parameter that is not a location (values that
    are not strings are left to ``check_arguments``)."""
    for name in (*LOCATION_ARGUMENTS, *LOCATION_LIST_ARGUMENTS):
        value = arguments.get(name)
        if not isinstance(value, str) or not value.strip():
            continue
        for location in split_list(value) if name in LOCATION_LIST_ARGUMENTS else [value]:
            check_location(location, f"{where}[{name!r}]")


def merge_arguments(job: dict[str, Any], run_arguments: dict[str, Any]) -> dict[str, str]:
    """DefaultArguments, overridden by the run's Arguments; NonOverridableArguments may not be given a
    different value by the run, and runtime-injected names may not be set at all."""
    run_arguments = check_arguments(run_arguments)
    fixed = job.get("NonOverridableArguments") or {}
    for name, value in run_arguments.items():
        if name in fixed and fixed[name] != value:
            raise InvalidInputException(f"Argument {name} is non-overridable for job {job['Name']}")
        if name in RUNTIME_INJECTED:
            raise InvalidInputException(f"Argument {name} is set by Glue and cannot be passed to a run")
    if run_arguments.get("--job-language", "python") != "python":
        raise InvalidInputException("gluelab runs Python jobs only (--job-language python)")
    return {**(job.get("DefaultArguments") or {}), **run_arguments, **fixed}


def script_argv(arguments: dict[str, str], job_name: str, run_id: str) -> list[str]:
    """The command-line arguments a Glue script receives (``sys.argv[1:]``), runtime ones included; a
    Livy batch's script receives its own positional ``args`` instead."""
    if POSITIONAL_ARGV in arguments:
        return [str(a) for a in json.loads(arguments[POSITIONAL_ARGV])]
    argv = ["--JOB_NAME", job_name, "--JOB_ID", f"j_{job_name}", "--JOB_RUN_ID", run_id]
    for name, value in arguments.items():
        argv += [name, value]
    return argv


def notes(arguments: dict[str, str]) -> list[str]:
    """One line per special parameter: what gluelab does with it."""
    lines = []
    for name in arguments:
        if name in HONOURED:
            lines.append(f"{name}: {HONOURED[name]}")
        elif name in IGNORED:
            lines.append(f"{name}: accepted and ignored (no such service or cluster feature locally)")
    return lines


def flag(arguments: dict[str, str], name: str) -> bool:
    return arguments.get(name, "").strip().lower() == "true"


def split_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]
