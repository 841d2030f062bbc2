"""AWS Glue's module names (``awsglue.context``, ``awsglue.dynamicframe``, ``awsglue.transforms``,
``awsglue.utils``, ``awsglue.job``, ``awsglue.gluetypes``, ``awsglue.data_source``, ``awsglue.data_sink``)
re-exporting ``gluelab.runtime``. No logic of its own."""

from gluelab.runtime.dynamicframe import DynamicFrame

__all__ = ["DynamicFrame"]
