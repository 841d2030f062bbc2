"""``gluelab demo``: gluelab's main job, a shop's daily sales pipeline built and run through the Glue API
with boto3 against a ``gluelab serve`` of its own (see ``walkthrough``)."""

from .walkthrough import DemoFailed, DemoRefused, run_demo

__all__ = ["DemoFailed", "DemoRefused", "run_demo"]
