"""The demo's user code, in ``pipeline/``, as a data engineer would write it for AWS Glue: the Glue ETL
script ``clean_sales.py`` (job bookmarks), the parameterised notebook ``quality_report.ipynb`` and the
Python shell script ``publish_summary.py``. Nothing in them is gluelab-specific."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

PIPELINE = Path(__file__).parent / "pipeline"
SCRIPTS = ("clean_sales.py", "publish_summary.py")
NOTEBOOK = "quality_report.ipynb"


def install(s3: Any, scripts: str, notebooks: Path) -> Path:
    """Uploads the scripts where the jobs' ScriptLocations point (``s3://bucket/prefix``, with an S3
    client) and copies the notebook where a user (and the lab) would keep it; returns the notebook's
    path."""
    bucket, _, prefix = scripts.removeprefix("s3://").partition("/")
    for name in SCRIPTS:
        s3.upload_file(str(PIPELINE / name), bucket, prefix + name)
    notebooks.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(PIPELINE / NOTEBOOK, notebooks / NOTEBOOK))
