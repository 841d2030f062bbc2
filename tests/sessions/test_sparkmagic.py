"""sparkmagic 0.23's PySpark kernel, unmodified, driven by jupyter_client against gluelab's Livy face:
its start-up, plain cells, %%sql (with -o), %%configure -f, %%info, an error and an interrupt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ServerProcess, run_gluelab
from tests.kernels import Kernel
from tests.sessions.conftest import Livy

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def kernel(endpoint: ServerProcess, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("sparkmagic")
    import sparkmagic

    kernels = Path(sparkmagic.__file__).parent / "kernels" / "pysparkkernel"
    subprocess.run(
        [sys.executable, "-m", "jupyter", "kernelspec", "install", str(kernels), "--prefix", str(root)],
        check=True,
        capture_output=True,
    )
    config = root / "conf" / "config.json"
    run_gluelab(endpoint.home, "endpoint", "sparkmagic-config", "--path", str(config))
    settings = json.loads(config.read_text())
    assert settings["kernel_python_credentials"]["url"] == endpoint.url
    # Plain results instead of widgets, and no heartbeat thread (its join delays every DELETE by 30 s).
    settings.update(use_auto_viz=False, livy_server_heartbeat_timeout_seconds=0)
    config.write_text(json.dumps(settings))
    env = {**os.environ, "SPARKMAGIC_CONF_DIR": str(config.parent)}
    started = Kernel("pysparkkernel", env, [root / "share" / "jupyter" / "kernels"])
    yield started
    started.close()


def test_first_cell_starts_a_session(kernel: Kernel) -> None:
    status, text = kernel.run("spark.range(5).count()")
    assert status == "ok"
    assert "SparkSession available as 'spark'" in text
    assert text.rstrip().endswith("5")


def test_sql_with_output_variable(kernel: Kernel) -> None:
    status, text = kernel.run("%%sql -o res -q\nSELECT 1 AS a, 'x' AS b")
    assert status == "ok" and "error" not in text.lower(), text
    status, text = kernel.run("%%local\nprint(res.to_dict())")
    assert text.strip() == "{'a': {0: 1}, 'b': {0: 'x'}}"
    status, text = kernel.run("%%sql\nSELECT id, id * 2 AS twice FROM range(3)")
    assert "twice" in text and "4" in text


def test_configure_force_restarts_with_new_conf(kernel: Kernel) -> None:
    body = {"name": "configured", "conf": {"spark.sql.shuffle.partitions": 4}}
    status, text = kernel.run("%%configure -f\n" + json.dumps(body))
    assert status == "ok" and "error" not in text.lower(), text
    status, text = kernel.run("spark.conf.get('spark.sql.shuffle.partitions')")
    assert text.rstrip().endswith("'4'")
    status, text = kernel.run("%%info")
    assert "configured" in text and "idle" in text


def test_error_is_reported(kernel: Kernel) -> None:
    status, text = kernel.run("1 / 0")
    assert "ZeroDivisionError" in text and "division by zero" in text


def test_interrupt_cancels_the_spark_job(kernel: Kernel, livy: Livy) -> None:
    code = "import time\nsc.parallelize(range(400), 4).map(lambda x: time.sleep(0.25) or x).count()"
    status, text = kernel.run(code, interrupt_after=6)
    # sparkmagic answers "error" or "ok" depending on where the interrupt lands in its own polling; what
    # matters is that it says so and that the statement was cancelled on the server.
    assert "Interrupted by user" in text and "failed to cancel" not in text, text
    states = []
    for session in livy.request("GET", "/sessions").json()["sessions"]:
        if session["state"] not in ("idle", "busy"):
            continue  # other tests' sessions, ended: they answer no statements
        listed = livy.request("GET", f"/sessions/{session['id']}/statements").json()["statements"]
        states += [s["state"] for s in listed if "time.sleep(0.25)" in s["code"]]
    assert states and states[-1] == "cancelled", states
    status, text = kernel.run("6 * 7")
    assert text.rstrip().endswith("42")


def test_logs(kernel: Kernel) -> None:
    status, text = kernel.run("%%logs")
    assert "ready" in text
