"""The README's main job runs end to end and shows what it built, with numbers that match its data."""

import json
import subprocess
import sys

import pytest

from gluelab.demo.data import Shop
from gluelab.demo.walkthrough import FIRST_DAYS, NEW_DAY
from tests.helpers import gluelab_env


def expected_days():
    shop = Shop()
    return [shop.day(*day) for day in [*FIRST_DAYS, NEW_DAY]]


@pytest.mark.slow
def test_the_demo_crawls_runs_the_workflow_and_the_file_arrival_run(tmp_path):
    workspace = tmp_path / "ws"
    env = {**gluelab_env(tmp_path / "unused"), "COLUMNS": "200"}
    result = subprocess.run(
        [sys.executable, "-m", "gluelab", "demo", "--workspace", str(workspace)],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    out = " ".join(result.stdout.split())
    days = expected_days()
    first, new = days[:3], days[3]
    assert any(d.malformed for d in days)  # the exports do have malformed rows
    # The bookmarked ETL read every first-day row once, then only the new day's files.
    read = sum(d.rows for d in first)
    assert (
        f"read {read}, clean {sum(d.clean for d in first)}, set aside {sum(d.malformed for d in first)}"
        in out
    )
    assert f"read {new.rows}, clean {new.clean}, set aside {new.malformed}" in out
    clean = sum(d.clean for d in days)
    assert f"shop.sales │ parquet │ 10 │ 4: 2024-12-01 .. 2024-12-04 │ {clean:,} │" in out
    assert f"shop.raw_sales │ csv │ 6 │ 4: 2024-12-01 .. 2024-12-04 │ {sum(d.rows for d in days):,} │" in out
    assert "shop.raw_customers │ json │ 4 │" in out
    assert (
        out.count("job quality_report │ SUCCEEDED") == 2 and out.count("job publish_summary │ SUCCEEDED") == 2
    )
    assert "shop.sales holds 4 days (2024-12-01 to 2024-12-04)" in out  # the second run's summary
    for day in days:  # the notebook's report, from its executed output
        assert f"{day.dt} {day.clean} orders {day.revenue:.2f} EUR" in out
    assert "jupyter lab --notebook-dir" in out and "the whole demo" in out

    # What the demo left is a workspace the CLI (and the lab) can open.
    home = workspace / "home"
    cli = {**env, "GLUELAB_HOME": str(home)}
    runs = json.loads(
        subprocess.run(
            [sys.executable, "-m", "gluelab", "workflows", "runs", "daily_sales", "--json"],
            env=cli,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )["Runs"]
    assert [r["Status"] for r in runs] == ["COMPLETED", "COMPLETED"]
    by_event = [r for r in runs if r.get("StartingEventBatchCondition")]
    assert len(by_event) == 1 and by_event[0]["StartingEventBatchCondition"]["BatchSize"] == 3
    assert (workspace / "notebooks" / "quality_report.ipynb").exists()
    # The raw files and the scripts went through the S3 endpoint, as an upstream system would send them.
    log = (home / "logs" / "server.log").read_text()
    for day in days:
        for key in day.objects:
            assert f"s3 PutObject /demo-lake/raw/{key} 200" in log
            assert (home / "warehouse" / "demo-lake" / "raw" / key).read_text() == day.objects[key]
    assert "s3 PutObject /demo-lake/scripts/clean_sales.py 200" in log
    assert not (home / "run" / "server.json").exists()  # the demo's server stopped cleanly
