"""Orchestration: schedule expressions (``schedule``), triggers (``triggers``), workflows and their runs
(``workflows``), what firing means (``engine``), and the scheduler that fires them (``scheduler``, with
its single-instance ``lease`` and the file-arrival ``watcher``). It records runs through the job and
crawler services and launches them through their executors; it never runs a process itself.

Nothing is imported here, so the crawler and job packages can use ``schedule`` without a cycle."""
