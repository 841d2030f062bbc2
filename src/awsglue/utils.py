"""``awsglue.utils``: re-exports ``gluelab.runtime.utils``."""

from gluelab.runtime.utils import GlueArgumentError, callsite, getResolvedOptions, makeOptions

__all__ = ["GlueArgumentError", "callsite", "getResolvedOptions", "makeOptions"]
