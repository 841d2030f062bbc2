"""The README's main job runs and shows what it built."""

import subprocess
import sys

from tests.helpers import gluelab_env


def test_demo_builds_and_shows_a_catalog(tmp_path):
    workspace = tmp_path / "ws"
    result = subprocess.run(
        [sys.executable, "-m", "gluelab", "demo", "--workspace", str(workspace)],
        env={**gluelab_env(tmp_path / "unused"), "COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "sales.orders" in out and "sales.customers" in out
    assert "s3://demo-lake/sales/orders/year=2024/month=12/" in out
    assert "Table versions of sales.orders: 1, 0" in out
    assert "password hidden" in out
    assert "EntityNotFoundException: Table returns not found" in out
    assert "sales.landing_clicks" in out and "sales.landing_signups" in out  # the crawl's tables
    assert "address struct<city:string,zip:bigint>" in out
    flat = " ".join(out.split())
    assert "of clicks_by_day: SUCCEEDED" in flat  # a Glue job over the crawled table
    assert "2024-12-01 │ 20 │ 1.45" in flat
    assert (workspace / "home" / "logs" / "server.log").exists()
    assert not (workspace / "home" / "run" / "server.json").exists()  # the demo's server stopped cleanly
