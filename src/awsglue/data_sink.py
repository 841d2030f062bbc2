from gluelab.runtime.context import DataSink

__all__ = ["DataSink"]
