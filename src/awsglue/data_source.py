from gluelab.runtime.context import DataSource

__all__ = ["DataSource"]
