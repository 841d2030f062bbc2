"""SQLAlchemy models of gluelab's state. Nested Glue shapes (StorageDescriptor, Parameters ...) are JSON
columns; fields that are looked up, sorted or filtered on are real columns with indexes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .types import UTCDateTime, binary_collated_string

NAME = String(255)


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, dt.datetime: UTCDateTime}


class DatabaseRow(Base):
    __tablename__ = "databases"
    __table_args__ = (UniqueConstraint("catalog_id", "name", name="uq_databases_catalog_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(NAME)
    description: Mapped[str | None] = mapped_column(Text)
    location_uri: Mapped[str | None] = mapped_column(Text)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    create_time: Mapped[dt.datetime]
    # The rest of DatabaseInput (CreateTableDefaultPermissions, TargetDatabase, FederatedDatabase).
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)

    tables: Mapped[list[TableRow]] = relationship(back_populates="database", passive_deletes=True)


class TableRow(Base):
    __tablename__ = "tables"
    __table_args__ = (UniqueConstraint("database_id", "name", name="uq_tables_database_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    database_id: Mapped[int] = mapped_column(ForeignKey("databases.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(NAME)
    version_id: Mapped[int] = mapped_column(default=0)
    # Counts changes to the table's partitions (Spark sessions refresh what they registered when it moves).
    partition_version: Mapped[int] = mapped_column(default=0, server_default="0")
    table_type: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    owner: Mapped[str | None] = mapped_column(NAME)
    create_time: Mapped[dt.datetime]
    update_time: Mapped[dt.datetime]
    last_access_time: Mapped[dt.datetime | None]
    last_analyzed_time: Mapped[dt.datetime | None]
    storage_descriptor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    partition_keys: Mapped[list[Any]] = mapped_column(default=list)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The rest of TableInput (Retention, ViewOriginalText, ViewExpandedText, TargetTable, ViewDefinition).
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)

    database: Mapped[DatabaseRow] = relationship(back_populates="tables")


class TableVersionRow(Base):
    """A table as it was at one VersionId (the current version included)."""

    __tablename__ = "table_versions"
    __table_args__ = (UniqueConstraint("table_id", "version_id", name="uq_table_versions_table_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))
    version_id: Mapped[int]
    definition: Mapped[dict[str, Any]]
    created_at: Mapped[dt.datetime]


class PartitionRow(Base):
    __tablename__ = "partitions"
    __table_args__ = (UniqueConstraint("table_id", "values_hash", name="uq_partitions_table_values"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"), index=True)
    values: Mapped[list[Any]]
    values_hash: Mapped[str] = mapped_column(String(64))
    creation_time: Mapped[dt.datetime]
    last_access_time: Mapped[dt.datetime | None]
    last_analyzed_time: Mapped[dt.datetime | None]
    storage_descriptor: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)

    key_values: Mapped[list[PartitionValueRow]] = relationship(
        cascade="all, delete-orphan", passive_deletes=True, order_by="PartitionValueRow.position"
    )


class PartitionValueRow(Base):
    """One partition value by key position, indexed, so partition Expressions are answered in SQL.
    ``number_value`` holds the value when it parses as a number; numeric keys compare on it."""

    __tablename__ = "partition_values"
    __table_args__ = (
        Index("ix_partition_values_string", "table_id", "position", "string_value"),
        Index("ix_partition_values_number", "table_id", "position", "number_value"),
    )

    partition_id: Mapped[int] = mapped_column(
        ForeignKey("partitions.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(primary_key=True)
    table_id: Mapped[int] = mapped_column(ForeignKey("tables.id", ondelete="CASCADE"))
    string_value: Mapped[str | None] = mapped_column(binary_collated_string(1024))
    number_value: Mapped[float | None] = mapped_column(Float)


class ConnectionRow(Base):
    __tablename__ = "connections"
    __table_args__ = (UniqueConstraint("catalog_id", "name", name="uq_connections_catalog_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    catalog_id: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(NAME)
    connection_type: Mapped[str] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    match_criteria: Mapped[list[Any]] = mapped_column(default=list)
    connection_properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    physical_connection_requirements: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    # SparkProperties, AthenaProperties, PythonProperties, AuthenticationConfiguration, Validate*.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    creation_time: Mapped[dt.datetime]
    last_updated_time: Mapped[dt.datetime]
    last_updated_by: Mapped[str | None] = mapped_column(NAME)
    status: Mapped[str] = mapped_column(String(16), default="READY")
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)


class JobBookmarkRow(Base):
    """A job's bookmark: one state element per transformation_ctx, as of the last commit or reset."""

    __tablename__ = "job_bookmarks"
    __table_args__ = (UniqueConstraint("job_name", name="uq_job_bookmarks_job_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(NAME)
    version: Mapped[int] = mapped_column(default=0)
    run: Mapped[int] = mapped_column(default=0)
    attempt: Mapped[int] = mapped_column(default=0)
    run_id: Mapped[str | None] = mapped_column(NAME)
    previous_run_id: Mapped[str | None] = mapped_column(NAME)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)
    updated_at: Mapped[dt.datetime]
    # The last ResetJobBookmark: when, and the run it rewound to (None: reset to empty).
    reset_at: Mapped[dt.datetime | None]
    reset_to_run_id: Mapped[str | None] = mapped_column(NAME)


class JobBookmarkRunRow(Base):
    """The bookmark as one run committed it (the full merged state): what a rewind goes back to."""

    __tablename__ = "job_bookmark_runs"
    __table_args__ = (UniqueConstraint("job_name", "run_id", name="uq_job_bookmark_runs_job_run"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(NAME, ForeignKey("job_bookmarks.job_name", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(NAME)
    run: Mapped[int]
    version: Mapped[int]
    attempt: Mapped[int]
    previous_run_id: Mapped[str | None] = mapped_column(NAME)
    state: Mapped[dict[str, Any]]
    committed_at: Mapped[dt.datetime]


class CrawlerRow(Base):
    """A crawler's definition (CreateCrawler's fields) and its state."""

    __tablename__ = "crawlers"
    __table_args__ = (UniqueConstraint("name", name="uq_crawlers_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    role: Mapped[str] = mapped_column(Text)
    database_name: Mapped[str | None] = mapped_column(NAME)
    description: Mapped[str | None] = mapped_column(Text)
    targets: Mapped[dict[str, Any]] = mapped_column(default=dict)
    schedule: Mapped[str | None] = mapped_column(Text)
    classifiers: Mapped[list[Any]] = mapped_column(default=list)
    table_prefix: Mapped[str | None] = mapped_column(String(128))
    schema_change_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    recrawl_policy: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # LineageConfiguration, LakeFormationConfiguration, CrawlerSecurityConfiguration: kept and returned.
    extra: Mapped[dict[str, Any]] = mapped_column(default=dict)
    configuration: Mapped[str | None] = mapped_column(Text)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="READY")
    version: Mapped[int] = mapped_column(default=1)
    creation_time: Mapped[dt.datetime]
    last_updated: Mapped[dt.datetime]
    # What earlier crawls saw (folders, for CRAWL_NEW_FOLDERS_ONLY; tables they made).
    memory: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # SCHEDULED | NOT_SCHEDULED (Start/StopCrawlerSchedule); when the scheduler starts it next.
    schedule_state: Mapped[str | None] = mapped_column(String(16))
    next_fire_at: Mapped[dt.datetime | None]


class CrawlRow(Base):
    """One crawl of a crawler: ListCrawls' CrawlerHistory, with progress while it runs."""

    __tablename__ = "crawls"
    __table_args__ = (
        UniqueConstraint("crawl_id", name="uq_crawls_crawl_id"),
        Index("ix_crawls_crawler_start", "crawler_name", "start_time"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    crawl_id: Mapped[str] = mapped_column(String(64))
    crawler_name: Mapped[str] = mapped_column(NAME, ForeignKey("crawlers.name", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(16))  # RUNNING | COMPLETED | FAILED | STOPPED
    start_time: Mapped[dt.datetime]
    end_time: Mapped[dt.datetime | None]
    summary: Mapped[dict[str, Any]] = mapped_column(default=dict)
    error_message: Mapped[str | None] = mapped_column(Text)
    log_path: Mapped[str | None] = mapped_column(Text)
    pid: Mapped[int | None]
    stop_requested: Mapped[bool] = mapped_column(default=False)
    progress: Mapped[dict[str, Any]] = mapped_column(default=dict)
    trigger_name: Mapped[str | None] = mapped_column(NAME)  # the trigger that started it, if one did
    workflow_run_id: Mapped[str | None] = mapped_column(String(255), index=True)


class ClassifierRow(Base):
    """A custom classifier (CsvClassifier, JsonClassifier or XMLClassifier), its fields as Glue's shape."""

    __tablename__ = "classifiers"
    __table_args__ = (UniqueConstraint("name", name="uq_classifiers_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    kind: Mapped[str] = mapped_column(String(32))
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    version: Mapped[int] = mapped_column(default=1)
    creation_time: Mapped[dt.datetime]
    last_updated: Mapped[dt.datetime]


class JobRow(Base):
    """A job definition: CreateJob's fields as Glue shapes them (``definition``), looked up by name."""

    __tablename__ = "jobs"
    __table_args__ = (UniqueConstraint("name", name="uq_jobs_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    definition: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_on: Mapped[dt.datetime]
    last_modified_on: Mapped[dt.datetime]


class JobRunRow(Base):
    """One attempt of a job run: GetJobRun's JobRun, plus what the executor needs to find its process
    (host, pid and the pid's start time, so a reused pid is never mistaken for the run) and its logs."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("run_id", name="uq_job_runs_run_id"),
        Index("ix_job_runs_job_state", "job_name", "state"),
        Index("ix_job_runs_state", "state"),
        Index("ix_job_runs_job_id", "job_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(255))
    job_name: Mapped[str] = mapped_column(NAME)
    attempt: Mapped[int] = mapped_column(default=0)
    previous_run_id: Mapped[str | None] = mapped_column(String(255))
    trigger_name: Mapped[str | None] = mapped_column(NAME)
    # STARTING | RUNNING | STOPPING | STOPPED | SUCCEEDED | FAILED | TIMEOUT | ERROR | WAITING | EXPIRED
    state: Mapped[str] = mapped_column(String(16))
    state_detail: Mapped[str | None] = mapped_column(Text)
    arguments: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The run's resolved settings: Timeout, WorkerType, NumberOfWorkers, MaxCapacity, GlueVersion ...
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_on: Mapped[dt.datetime]
    last_modified_on: Mapped[dt.datetime]
    running_on: Mapped[dt.datetime | None]  # when user code began (ExecutionTime counts from here)
    completed_on: Mapped[dt.datetime | None]
    error_message: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    pid_started: Mapped[str | None] = mapped_column(String(32))
    warm: Mapped[bool] = mapped_column(default=False)
    stop_requested: Mapped[bool] = mapped_column(default=False)
    log_dir: Mapped[str | None] = mapped_column(Text)
    event_log_dir: Mapped[str | None] = mapped_column(Text)
    metrics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    workflow_run_id: Mapped[str | None] = mapped_column(String(255), index=True)


class TriggerRow(Base):
    """A trigger: CreateTrigger's fields as Glue shapes them, its state, and when it fires next."""

    __tablename__ = "triggers"
    __table_args__ = (UniqueConstraint("name", name="uq_triggers_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    workflow_name: Mapped[str | None] = mapped_column(NAME, index=True)
    type: Mapped[str] = mapped_column(String(16))  # SCHEDULED | CONDITIONAL | ON_DEMAND | EVENT
    state: Mapped[str] = mapped_column(String(16))  # CREATED | ACTIVATED | DEACTIVATED
    description: Mapped[str | None] = mapped_column(Text)
    schedule: Mapped[str | None] = mapped_column(Text)
    predicate: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    actions: Mapped[list[Any]] = mapped_column(default=list)
    event_batching: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    event_source: Mapped[str | None] = mapped_column(Text)  # s3:// prefix an EVENT trigger watches
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_on: Mapped[dt.datetime]
    last_modified_on: Mapped[dt.datetime]
    activated_on: Mapped[dt.datetime | None]  # rate() schedules count from here
    next_fire_at: Mapped[dt.datetime | None] = mapped_column(index=True)


class WorkflowRow(Base):
    __tablename__ = "workflows"
    __table_args__ = (UniqueConstraint("name", name="uq_workflows_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(NAME)
    description: Mapped[str | None] = mapped_column(Text)
    default_run_properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    max_concurrent_runs: Mapped[int | None]
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_on: Mapped[dt.datetime]
    last_modified_on: Mapped[dt.datetime]


class WorkflowRunRow(Base):
    """A workflow run, with the workflow's triggers as they were when it started (Glue freezes them)."""

    __tablename__ = "workflow_runs"
    __table_args__ = (
        UniqueConstraint("run_id", name="uq_workflow_runs_run_id"),
        Index("ix_workflow_runs_workflow_id", "workflow_name", "id"),
        Index("ix_workflow_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[str] = mapped_column(String(255))
    workflow_name: Mapped[str] = mapped_column(NAME)
    previous_run_id: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16))  # RUNNING | COMPLETED | STOPPING | STOPPED | ERROR
    error_message: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    started_on: Mapped[dt.datetime]
    completed_on: Mapped[dt.datetime | None]
    triggers: Mapped[list[Any]] = mapped_column(default=list)
    # Nodes ("JOB:name", "CRAWLER:name") a resumed run runs again; the others keep the previous run's.
    rerun: Mapped[list[Any] | None] = mapped_column(JSON)
    event_batch: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class TriggerFiringRow(Base):
    """A conditional trigger fired. ``once_key`` (trigger and workflow run) makes a workflow's trigger
    fire at most once per run, whatever the number of schedulers."""

    __tablename__ = "trigger_firings"
    __table_args__ = (
        UniqueConstraint("once_key", name="uq_trigger_firings_once_key"),
        Index("ix_trigger_firings_trigger_id", "trigger_name", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger_name: Mapped[str] = mapped_column(NAME)
    workflow_run_id: Mapped[str | None] = mapped_column(String(255))
    once_key: Mapped[str | None] = mapped_column(String(600))
    fired_on: Mapped[dt.datetime]
    predecessors: Mapped[list[Any]] = mapped_column(default=list)


class OrchestrationEventRow(Base):
    """Something the scheduler reacts to, stored before anyone is told: a trigger-started job run or
    crawl ended (JOB_RUN, CRAWL), or an event arrived for an EVENT trigger (FILE, POSTED)."""

    __tablename__ = "orchestration_events"
    __table_args__ = (
        Index("ix_orchestration_events_pending", "processed", "id"),
        Index("ix_orchestration_events_trigger", "trigger_name", "processed", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    trigger_name: Mapped[str | None] = mapped_column(NAME)  # EVENT triggers: whose event it is
    name: Mapped[str | None] = mapped_column(NAME)  # the job or crawler that ended
    run_id: Mapped[str | None] = mapped_column(String(255))
    state: Mapped[str | None] = mapped_column(String(16))
    workflow_run_id: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str | None] = mapped_column(Text)  # the file that arrived, or what posted the event
    received_on: Mapped[dt.datetime]
    processed: Mapped[bool] = mapped_column(default=False)
    consumed_by: Mapped[str | None] = mapped_column(String(255))  # the workflow run an event started


class LeaseRow(Base):
    """A named lease: one holder at a time until it expires (the scheduler's single-instance lock)."""

    __tablename__ = "leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(255))
    expires_at: Mapped[dt.datetime]


class WatchedFileRow(Base):
    """A file an EVENT trigger has seen under its prefix (so a file makes one event, across restarts)."""

    __tablename__ = "watched_files"
    __table_args__ = (UniqueConstraint("trigger_name", "path_hash", name="uq_watched_files_trigger_path"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    trigger_name: Mapped[str] = mapped_column(NAME)
    path_hash: Mapped[str] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(Text)


class SessionRow(Base):
    """An interactive session: its Glue Id and its Livy id (``id``; never reused), what it was created
    with (CreateSession's fields, or Livy's body), its status, and where its process answers."""

    __tablename__ = "sessions"
    __table_args__ = (
        UniqueConstraint("session_id", name="uq_sessions_session_id"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(String(255))
    origin: Mapped[str] = mapped_column(String(8))  # glue | livy
    kind: Mapped[str] = mapped_column(String(16))  # Livy's kind: pyspark | sql
    # PROVISIONING | READY | STOPPING | STOPPED | FAILED | TIMEOUT
    status: Mapped[str] = mapped_column(String(16), index=True)
    error_message: Mapped[str | None] = mapped_column(Text)
    request: Mapped[dict[str, Any]] = mapped_column(default=dict)
    tags: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_on: Mapped[dt.datetime]
    ready_on: Mapped[dt.datetime | None]
    completed_on: Mapped[dt.datetime | None]
    host: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None]
    pid_started: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(64))
    secret: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str | None] = mapped_column(String(255))
    warm: Mapped[bool] = mapped_column(default=False)
    log_dir: Mapped[str | None] = mapped_column(Text)


class NotebookVersionRow(Base):
    """One snapshot of a promoted notebook: the job it runs as, where it came from, its content hash, its
    parameter schema and the job properties its magics gave. A job runs its newest version."""

    __tablename__ = "notebook_versions"
    __table_args__ = (UniqueConstraint("job_name", "version", name="uq_notebook_versions_job_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job_name: Mapped[str] = mapped_column(NAME, index=True)
    version: Mapped[int]
    content_hash: Mapped[str] = mapped_column(String(64))
    source_path: Mapped[str] = mapped_column(Text)
    snapshot_path: Mapped[str] = mapped_column(Text)
    parameters: Mapped[list[Any]] = mapped_column(default=list)
    properties: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_on: Mapped[dt.datetime]
