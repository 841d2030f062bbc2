"""A workflow's graph from its triggers: nodes (TRIGGER, JOB, CRAWLER) with stable ids, edges from a
trigger to what it starts and from what a trigger watches to the trigger, and what lies downstream of a
node (what ResumeWorkflowRun runs again)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any


def node_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def node_id(key: str) -> str:
    """A node's UniqueId: the same for the same node in every run, so a run's graph names nodes to resume."""
    return "wnode_" + hashlib.sha256(key.encode()).hexdigest()[:32]


def action_keys(trigger: dict[str, Any]) -> list[str]:
    keys = []
    for action in trigger.get("Actions") or []:
        if action.get("JobName"):
            keys.append(node_key("JOB", action["JobName"]))
        elif action.get("CrawlerName"):
            keys.append(node_key("CRAWLER", action["CrawlerName"]))
    return keys


def condition_keys(trigger: dict[str, Any]) -> list[str]:
    keys = []
    for condition in (trigger.get("Predicate") or {}).get("Conditions") or []:
        if condition.get("JobName"):
            keys.append(node_key("JOB", condition["JobName"]))
        elif condition.get("CrawlerName"):
            keys.append(node_key("CRAWLER", condition["CrawlerName"]))
    return keys


def structure(triggers: Iterable[dict[str, Any]]) -> tuple[list[str], list[tuple[str, str]]]:
    """Node keys (triggers first, then jobs and crawlers in order of appearance) and edges by key."""
    nodes: list[str] = []
    edges: list[tuple[str, str]] = []

    def add(key: str) -> None:
        if key not in nodes:
            nodes.append(key)

    triggers = list(triggers)
    for trigger in triggers:
        add(node_key("TRIGGER", trigger["Name"]))
    for trigger in triggers:
        me = node_key("TRIGGER", trigger["Name"])
        for key in condition_keys(trigger):
            add(key)
            edges.append((key, me))
        for key in action_keys(trigger):
            add(key)
            edges.append((me, key))
    return nodes, edges


def downstream(triggers: list[dict[str, Any]], start: Iterable[str]) -> set[str]:
    """The job and crawler keys reached from ``start`` (included) through conditional triggers."""
    reached = set(start)
    todo = list(reached)
    while todo:
        key = todo.pop()
        for trigger in triggers:
            if key in condition_keys(trigger):
                for target in action_keys(trigger):
                    if target not in reached:
                        reached.add(target)
                        todo.append(target)
    return reached


def starters(triggers: list[dict[str, Any]], key: str) -> list[str]:
    """The triggers whose actions start ``key``."""
    return [t["Name"] for t in triggers if key in action_keys(t)]
