from gluelab.runtime.context import DataFrameReader

__all__ = ["DataFrameReader"]
