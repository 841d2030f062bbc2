"""gluelab: AWS Glue's developer experience, local."""

__version__ = "0.1.0"


def _jupyter_server_extension_points() -> list[dict[str, str]]:
    """The Jupyter server extension (``gluelab.api.jupyter``), enabled by the config file the wheel ships."""
    return [{"module": "gluelab.api.jupyter"}]
