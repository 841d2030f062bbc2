"""What every interactive Spark session starts with (an endpoint session's REPL, the local kernel): the
SparkSession for a plan, the context hooks Glue scripts rely on, and the names ``spark``, ``sc``,
``sqlContext`` and ``glueContext``."""

from __future__ import annotations

import warnings
from typing import Any

from ..config import Settings
from .spec import SessionPlan


def start_spark(settings: Settings, session_plan: SessionPlan) -> tuple[Any, dict[str, Any]]:
    """The session and the names bound for user code; Spark has run one job, so the first statement
    does not pay for loading its code paths."""
    from ..runtime.spark import build_session, install_context_hooks

    spark = build_session(settings, session_plan.spark)
    install_context_hooks(settings)
    for key, value in session_plan.runtime_conf.items():
        spark.conf.set(key, value)
    from pyspark.sql import SQLContext

    from awsglue.context import GlueContext

    context = spark.sparkContext
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sql_context = SQLContext(context, spark)
    namespace = {
        "spark": spark,
        "sc": context,
        "sqlContext": sql_context,
        "glueContext": GlueContext(context),
    }
    spark.range(1).collect()  # the first job's code paths loaded before the first statement
    return spark, namespace
