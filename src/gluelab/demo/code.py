"""The demo's user code, in ``pipeline/``, as a data engineer would write it for AWS Glue: the Glue ETL
script ``clean_sales.py`` (job bookmarks), the parameterised notebook ``quality_report.ipynb`` and the
Python shell script ``publish_summary.py``. Nothing in them is gluelab-specific."""

from __future__ import annotations

import shutil
from pathlib import Path

PIPELINE = Path(__file__).parent / "pipeline"
SCRIPTS = ("clean_sales.py", "publish_summary.py")
NOTEBOOK = "quality_report.ipynb"


def install(scripts: Path, notebooks: Path) -> Path:
    """Copies the scripts where the jobs' ScriptLocations point and the notebook where a user (and the
    lab) would keep it; returns the notebook's path."""
    scripts.mkdir(parents=True, exist_ok=True)
    notebooks.mkdir(parents=True, exist_ok=True)
    for name in SCRIPTS:
        shutil.copy2(PIPELINE / name, scripts / name)
    return Path(shutil.copy2(PIPELINE / NOTEBOOK, notebooks / NOTEBOOK))
