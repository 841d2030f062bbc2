"""A real ``jupyter lab`` (with gluelab's server and lab extensions, as ``pip install`` leaves them) and
Debian's Chromium driven by Playwright. Screenshots go to ``test-artifacts/lab/``."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.helpers import free_port, gluelab_env, start_jupyter, stop_process, unavailable

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "lab"
TOKEN = "gluelab-lab-test"


class Lab:
    """The lab server: its URL, home, root dir, and the Glue API it mounts (Jupyter's token auth)."""

    def __init__(self, root: Path, home: Path, port: int, proc: subprocess.Popen[bytes], log: Path):
        self.root, self.home, self.port, self.proc, self.log = root, home, port, proc, log
        self.url = f"http://127.0.0.1:{port}"

    def call(
        self, action: str, request: dict[str, Any] | None = None, token: str | None = TOKEN
    ) -> requests.Response:
        headers = {"X-Amz-Target": f"AWSGlue.{action}", "Content-Type": "application/x-amz-json-1.1"}
        if token:
            headers["Authorization"] = f"token {token}"
        return requests.post(
            f"{self.url}/gluelab/api", data=json.dumps(request or {}), headers=headers, timeout=60
        )

    def glue(self, action: str, request: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.call(action, request)
        assert response.status_code == 200, response.text
        return response.json()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    base = tmp_path_factory.mktemp("lab")
    root, home, settings = base / "root", base / "home", base / "settings"
    root.mkdir()
    # No "get notified about Jupyter news?" toast over the page.
    notification = settings / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port = free_port()
    env = gluelab_env(
        home,
        JUPYTERLAB_SETTINGS_DIR=str(settings),
        JUPYTER_CONFIG_DIR=str(base / "config"),
        GLUELAB_PORT="0",  # the lab's own Glue endpoint for boto3 and sparkmagic, on a free port
    )
    log = base / "lab.log"
    proc = start_jupyter(
        "jupyterlab",
        port,
        root,
        env,
        log,
        f"--IdentityProvider.token={TOKEN}",
        f"--LabApp.workspaces_dir={base / 'workspaces'}",
    )
    lab = Lab(root, home, port, proc, log)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"jupyter lab exited: {lab.output()}")
        try:
            if requests.get(f"{lab.url}/api/status?token={TOKEN}", timeout=2).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"jupyter lab did not start: {lab.output()}")
        time.sleep(0.2)
    yield lab
    stop_process(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        unavailable("Debian's chromium is not installed (make setup installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(lab: Lab, browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh lab page; its screenshot is kept (test-artifacts/lab/<test>.png) whatever the outcome."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(f"{lab.url}/lab?reset&token={TOKEN}")
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=60_000)
    page.wait_for_selector(".jp-LabShell")
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"))
    context.close()


def open_section(page: Any, name: str) -> Any:
    """Open the gluelab sidebar (if closed) and one of its sections; returns the section's locator."""
    panel = page.locator("#gluelab-panel")
    if not panel.is_visible():
        page.click('.jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id="gluelab-panel"]')
    page.click(f'#gluelab-panel .gluelab-tab[data-section="{name}"]')
    selector = f'#gluelab-panel .gluelab-section-body[data-section="{name}"]'
    page.wait_for_selector(f"{selector}[data-ready]:not([data-loading])")
    return page.locator(selector)
