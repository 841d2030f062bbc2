"""The widgets in real kernels (ours and a plain python3 one): they render as widget views, and a builder
driven by cell code creates what the test then finds through the services."""

from __future__ import annotations

from pathlib import Path

import pytest

from gluelab.config import Settings
from gluelab.services import open_services
from tests.helpers import gluelab_env
from tests.kernels import Kernel


@pytest.mark.parametrize("kernel_name", ["glue_pyspark_local", "python3"])
def test_trigger_builder_in_a_kernel(kernel_name: str, tmp_path: Path) -> None:
    home = tmp_path / "home"
    env = gluelab_env(home)
    services = open_services(Settings.load(env))
    script = tmp_path / "load.py"
    script.write_text("print('load')\n")
    services.jobs.create_job(
        Name="load", Role="r", Command={"Name": "pythonshell", "ScriptLocation": str(script)}
    )
    kernel = Kernel(kernel_name, env)
    try:
        cell = kernel.cell("from gluelab.widgets import TriggerBuilder\nbuilder = TriggerBuilder()\nbuilder")
        assert cell.status == "ok", cell.text
        views = [
            m
            for m in cell.of("execute_result")
            if "application/vnd.jupyter.widget-view+json" in m["content"]["data"]
        ]
        assert views, cell.messages
        cell = kernel.cell(
            "builder.name.value = 'hourly'\n"
            "builder.schedule.value = 'rate(1 hour)'\n"
            "builder.actions.value = ('load',)\n"
            "builder.create.click()\n"
            "print(builder.status.value)"
        )
        assert "Created trigger <b>hourly</b>" in cell.printed, cell.text
        assert "spark" not in kernel.cell("print(sorted(globals()))").printed  # no Spark for a form
        trigger = services.triggers.get_trigger(Name="hourly")["Trigger"]
        assert trigger["Schedule"] == "rate(1 hour)" and trigger["Actions"] == [{"JobName": "load"}]
    finally:
        kernel.close()
        services.close()
