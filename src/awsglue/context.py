from gluelab.runtime.context import GlueContext

__all__ = ["GlueContext"]
