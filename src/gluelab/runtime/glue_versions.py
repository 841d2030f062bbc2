"""Glue versions and the Spark SQL semantics each one runs with.

gluelab runs one Spark (4.x) for every GlueVersion. Where the Spark of a Glue version had other defaults
than Spark 4 for settings that change what a script computes (ANSI mode first: a failed cast, an impossible
date or an integer overflow is null in Spark 3, an error in Spark 4), the session of that Glue version gets
the older defaults, as Spark's migration guide says to restore them. A user's own ``--conf`` still wins.
"""

from __future__ import annotations

DEFAULT_GLUE_VERSION = "5.0"

# GlueVersion -> the Apache Spark AWS runs it on (https://docs.aws.amazon.com/glue/latest/dg/release-notes.html,
# migrating-version-50.html, migrating-version-60.html, migrating-version-61.html).
SPARK_OF_GLUE: dict[str, str] = {
    "0.9": "2.2.1",
    "1.0": "2.4.3",
    "2.0": "2.4.3",
    "3.0": "3.1.1",
    "4.0": "3.3.0",
    "5.0": "3.5.4",
    "5.1": "3.5.6",
    "6.0": "4.1.1",
    "6.1": "4.1.3",
}
GLUE_VERSIONS = tuple(SPARK_OF_GLUE)

_REBASE_MODES = (
    "spark.sql.parquet.datetimeRebaseModeInRead",
    "spark.sql.parquet.datetimeRebaseModeInWrite",
    "spark.sql.parquet.int96RebaseModeInRead",
    "spark.sql.parquet.int96RebaseModeInWrite",
    "spark.sql.avro.datetimeRebaseModeInRead",
    "spark.sql.avro.datetimeRebaseModeInWrite",
)

# Spark 3.x defaults that Spark 4.0 changed ("Upgrading from Spark SQL 3.5 to 4.0",
# https://spark.apache.org/docs/latest/sql-migration-guide.html), kept to those that change a result.
SPARK_3_SQL: dict[str, str] = {
    "spark.sql.ansi.enabled": "false",  # SPARK-44444: invalid input gives null, overflow wraps
    "spark.sql.legacy.timeParserPolicy": "EXCEPTION",  # a pattern the Spark 2 parser read differently fails
    "spark.sql.legacy.ctePrecedencePolicy": "EXCEPTION",  # a nested WITH name clash fails
    **dict.fromkeys(_REBASE_MODES, "EXCEPTION"),  # SPARK-46440: dates before 1582 in Parquet/Avro fail
    "spark.sql.orc.compression.codec": "snappy",  # Spark 4 writes zstd
}

# Spark 2.x behaviour on Spark 3's own "restore the behaviour before Spark 3.0" settings
# (https://spark.apache.org/docs/3.5.4/sql-migration-guide.html#upgrading-from-spark-sql-24-to-30).
SPARK_2_SQL: dict[str, str] = {
    **SPARK_3_SQL,
    "spark.sql.legacy.timeParserPolicy": "LEGACY",
    "spark.sql.legacy.ctePrecedencePolicy": "LEGACY",
    "spark.sql.storeAssignmentPolicy": "LEGACY",
    **dict.fromkeys(_REBASE_MODES, "LEGACY"),
}

# Settings Glue's documentation tells users to pass
# (--conf spark.sql.legacy.parquet.int96RebaseModeInRead=CORRECTED ...) that Spark 4 removed in favour of
# their current names, and refuses.
_REMOVED_NAMES = {key.replace("spark.sql.", "spark.sql.legacy.", 1): key for key in _REBASE_MODES}


class GlueVersionError(ValueError):
    """A GlueVersion gluelab does not know."""


def check_glue_version(value: str) -> str:
    """``value`` if it is a Glue version; GlueVersionError naming the known ones otherwise."""
    if value not in SPARK_OF_GLUE:
        raise GlueVersionError(f"GlueVersion must be one of {', '.join(GLUE_VERSIONS)}, not {value!r}")
    return value


def _major_minor(glue_version: str | None) -> float:
    try:
        return float(glue_version or DEFAULT_GLUE_VERSION)
    except ValueError:
        return float(DEFAULT_GLUE_VERSION)


def sql_defaults(glue_version: str | None) -> dict[str, str]:
    """The Spark SQL settings that give this Spark the semantics of ``glue_version``'s Spark, where their
    defaults differ (none for Glue 6.0 and later, which run Spark 4). A version gluelab does not know is
    placed by its number; None is gluelab's default Glue version."""
    number = _major_minor(glue_version)
    if number >= 6:
        return {}
    return dict(SPARK_2_SQL if number < 3 else SPARK_3_SQL)


def spark_of(glue_version: str | None) -> str:
    """The Spark version AWS runs ``glue_version`` on ("?" for a version gluelab does not know)."""
    return SPARK_OF_GLUE.get(glue_version or DEFAULT_GLUE_VERSION, "?")


def current_names(conf: dict[str, str]) -> dict[str, str]:
    """``conf`` with the settings Spark 4 removed under their current names (Spark refuses the old ones)."""
    return {_REMOVED_NAMES.get(key, key): value for key, value in conf.items()}


def describe(glue_version: str | None, conf: dict[str, str] | None = None) -> str:
    """One line for a run's log: the Glue version and the Spark SQL semantics it gets (``conf``: the
    run's own settings, which win)."""
    version = glue_version or DEFAULT_GLUE_VERSION
    settings = {**sql_defaults(version), **(conf or {})}
    ansi = settings.get("spark.sql.ansi.enabled", "true").lower() == "true"
    return (
        f"GlueVersion {version}: Spark SQL with the defaults of Spark {spark_of(version)} "
        f"(ANSI mode {'on' if ansi else 'off'})"
    )
