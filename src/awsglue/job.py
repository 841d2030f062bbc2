from gluelab.runtime.job import Job

__all__ = ["Job"]
