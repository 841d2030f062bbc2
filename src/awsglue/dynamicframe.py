from gluelab.runtime.context import DataFrameReader, DataFrameWriter, DynamicFrameReader, DynamicFrameWriter
from gluelab.runtime.dynamicframe import DynamicFrame, DynamicFrameCollection, ResolveOption

__all__ = [
    "DynamicFrame",
    "DynamicFrameCollection",
    "DynamicFrameReader",
    "DynamicFrameWriter",
    "ResolveOption",
    "DataFrameReader",
    "DataFrameWriter",
]
