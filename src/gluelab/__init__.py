"""gluelab: AWS Glue's developer experience, local."""

__version__ = "0.1.0"
