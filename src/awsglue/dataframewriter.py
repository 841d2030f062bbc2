from gluelab.runtime.context import DataFrameWriter

__all__ = ["DataFrameWriter"]
