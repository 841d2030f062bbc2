"""sparkmagic 0.23's PySpark kernel, unmodified, driven by jupyter_client against gluelab's Livy face:
its start-up, plain cells, %%sql (with -o), %%configure -f, %%info, an error and an interrupt."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import ServerProcess, run_gluelab

pytestmark = pytest.mark.slow


class Kernel:
    def __init__(self, env: dict[str, str], kernels: Path):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        specs = KernelSpecManager(kernel_dirs=[str(kernels)])
        self.manager = KernelManager(kernel_name="pysparkkernel", kernel_spec_manager=specs)
        self.manager.start_kernel(env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def run(self, code: str, timeout: float = 240, interrupt_after: float | None = None) -> tuple[str, str]:
        """The reply status and everything the cell printed or displayed, as text."""
        message_id = self.client.execute(code)
        texts: list[str] = []
        deadline = time.monotonic() + timeout
        interrupt_at = time.monotonic() + interrupt_after if interrupt_after else None
        while time.monotonic() < deadline:
            if interrupt_at and time.monotonic() >= interrupt_at:
                self.manager.interrupt_kernel()
                interrupt_at = None
            try:
                message = self.client.get_iopub_msg(timeout=0.5)
            except Exception:  # noqa: BLE001 - queue.Empty: keep waiting
                continue
            if message["parent_header"].get("msg_id") != message_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                data = content["data"]
                texts.append(str(data.get("text/html") or data.get("text/plain", "")))
            elif kind == "error":
                texts.append("\n".join(content["traceback"]))
            elif kind == "status" and content["execution_state"] == "idle":
                break
        reply = self.client.get_shell_msg(timeout=30)
        return reply["content"]["status"], "".join(texts)

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)


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
    started = Kernel(env, root / "share" / "jupyter" / "kernels")
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


def test_interrupt_cancels_the_spark_job(kernel: Kernel) -> None:
    code = "import time\nsc.parallelize(range(400), 4).map(lambda x: time.sleep(0.25) or x).count()"
    status, text = kernel.run(code, interrupt_after=6)
    assert status == "error", text
    assert "Interrupted by user" in text and "failed to cancel" not in text
    status, text = kernel.run("6 * 7")
    assert text.rstrip().endswith("42")


def test_logs(kernel: Kernel) -> None:
    status, text = kernel.run("%%logs")
    assert "ready" in text
