"""TriggerBuilder: a form for a Glue trigger. The type; a schedule with its English description and next
fire times; conditions picked from the existing jobs and crawlers and their states; an event trigger's
prefix (new files under it are events) and batching; the jobs to start, and the workflow it belongs to.
"Create trigger" calls CreateTrigger and says what happened."""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from ..catalog.common import utcnow
from ..orchestration.schedule import parse_schedule
from ..orchestration.triggers import EVENT_SOURCE_TAG
from .common import default_services, error_text

JOB_STATES = ("SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT")
CRAWL_STATES = ("SUCCEEDED", "FAILED", "CANCELLED")


class TriggerBuilder(w.VBox):
    def __init__(self, services: Any = None, **kwargs: Any):
        self.services = services or default_services()
        jobs = self.services.jobs.list_jobs({}).get("JobNames", [])
        crawlers = self.services.crawlers.list_crawlers({}).get("CrawlerNames", [])
        workflows = self.services.workflows.list_workflows({}).get("Workflows", [])
        self.name = w.Text(description="Name", placeholder="nightly-load")
        self.kind = w.Dropdown(
            description="Type", options=["ON_DEMAND", "SCHEDULED", "CONDITIONAL", "EVENT"], value="SCHEDULED"
        )
        self.schedule = w.Text(description="Schedule", value="cron(0 6 * * ? *)")
        self.schedule_help = w.HTML()
        self.conditions = w.SelectMultiple(
            description="When",
            options=[f"job:{j}={s}" for j in jobs for s in JOB_STATES]
            + [f"crawler:{c}={s}" for c in crawlers for s in CRAWL_STATES],
            rows=6,
        )
        self.logical = w.ToggleButtons(description="Logical", options=["AND", "ANY"], value="AND")
        self.event_prefix = w.Text(description="Prefix", placeholder="s3://landing/orders/")
        self.batch_size = w.BoundedIntText(description="Batch size", value=1, min=1, max=100)
        self.batch_window = w.BoundedIntText(description="Window (s)", value=900, min=1, max=900)
        self.actions = w.SelectMultiple(description="Start jobs", options=jobs, rows=4)
        # An EVENT trigger belongs to a workflow; any other may.
        self.workflow = w.Dropdown(description="Workflow", options=["", *workflows], value="")
        self.start_on_creation = w.Checkbox(description="Activate now", value=True)
        self.create = w.Button(description="Create trigger", button_style="primary")
        self.status = w.HTML()
        self.created: dict[str, Any] | None = None
        self.schedule.observe(lambda change: self._describe(), names="value")
        self.kind.observe(lambda change: self._layout(), names="value")
        self.create.on_click(lambda button: self.submit())
        super().__init__(**kwargs)
        self._describe()
        self._layout()

    def _layout(self) -> None:
        kind = self.kind.value
        rows: list[Any] = [self.name, self.kind]
        if kind == "SCHEDULED":
            rows += [self.schedule, self.schedule_help]
        if kind == "CONDITIONAL":
            rows += [self.conditions, self.logical]
        if kind == "EVENT":
            rows += [self.event_prefix, self.batch_size, self.batch_window]
        rows += [self.actions, self.workflow]
        if kind != "ON_DEMAND":
            rows += [self.start_on_creation]
        self.children = [*rows, self.create, self.status]

    def _describe(self) -> None:
        try:
            schedule = parse_schedule(self.schedule.value)
            times = schedule.fire_times(utcnow(), 3)
            listed = ", ".join(t.strftime("%a %Y-%m-%d %H:%M UTC") for t in times)
            self.schedule_help.value = f"<i>{schedule.describe()}</i><br>next: {listed}"
        except Exception as exc:  # noqa: BLE001 - shown to the user as they type
            self.schedule_help.value = f"<span style='color:#b00'>{error_text(exc)}</span>"

    def request(self) -> dict[str, Any]:
        """The CreateTrigger request the form stands for."""
        kind = self.kind.value
        request: dict[str, Any] = {
            "Name": self.name.value.strip(),
            "Type": kind,
            "Actions": [{"JobName": job} for job in self.actions.value],
        }
        if kind != "ON_DEMAND":
            request["StartOnCreation"] = bool(self.start_on_creation.value)
        if self.workflow.value:
            request["WorkflowName"] = self.workflow.value
        if kind == "SCHEDULED":
            request["Schedule"] = self.schedule.value.strip()
        if kind == "CONDITIONAL":
            conditions = []
            for picked in self.conditions.value:
                what, _, state = picked.rpartition("=")
                source, _, name = what.partition(":")
                if source == "job":
                    conditions.append({"LogicalOperator": "EQUALS", "JobName": name, "State": state})
                else:
                    conditions.append({"LogicalOperator": "EQUALS", "CrawlerName": name, "CrawlState": state})
            request["Predicate"] = {"Logical": self.logical.value, "Conditions": conditions}
        if kind == "EVENT" and self.event_prefix.value.strip():  # new files under it are events
            request["Tags"] = {EVENT_SOURCE_TAG: self.event_prefix.value.strip()}
        if kind == "EVENT":
            request["EventBatchingCondition"] = {
                "BatchSize": int(self.batch_size.value),
                "BatchWindow": int(self.batch_window.value),
            }
        return request

    def submit(self) -> dict[str, Any] | None:
        """Create the trigger; the status line says what was created or what Glue refused."""
        try:
            self.created = self.services.triggers.create_trigger(self.request())
        except Exception as exc:  # noqa: BLE001 - the form shows Glue's error and keeps its values
            self.status.value = f"<span style='color:#b00'>{error_text(exc)}</span>"
            return None
        self.status.value = f"Created trigger <b>{self.created['Name']}</b>"
        return self.created
