"""The Jupyter server extension: the same Glue API under the Jupyter server, behind Jupyter's own auth.

``jupyter lab`` loads it (``etc/jupyter/jupyter_server_config.d/gluelab.json``) and then serves

- ``POST <base_url>gluelab/api``: one Glue action per request, ``X-Amz-Target: AWSGlue.<Action>`` and a
  JSON body, answered exactly as ``gluelab serve`` answers it (the lab's frontend uses this), except that
  a relative ``NotebookPath`` is taken from the lab's root directory;
- ``GET <base_url>gluelab/runs/<run id>/output.html`` and ``.../output.ipynb``: a notebook run's output;

and runs what ``gluelab serve`` runs besides HTTP (``server.Background``): the executor's supervisor and
the scheduler, which fires only while it holds the store's lease (a ``gluelab serve`` on the same home may
hold it instead). Run processes record their own end, so closing the lab never loses a run.

Unless a ``gluelab serve`` already runs for the home (or ``lab_endpoint`` is off), the lab also listens on
the configured host and port with the Glue API (SigV4, as ``gluelab serve`` answers it) and Livy REST, so
that boto3, sparkmagic and Glue's kernel in the lab's notebooks need nothing else running.
"""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import tornado.web
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.utils import url_path_join

from ..config import Settings, is_loopback
from ..errors import GlueError, RequestEntityTooLargeException
from ..jobs.notebook_launcher import OUTPUT, output_html
from ..services import Services, open_services
from ..sessions import livy
from . import protocol
from .running import lab_file, record_lab, running_server, withdraw
from .server import (
    Background,
    Endpoint,
    GlueApi,
    ServeError,
    call_action,
    configure_logging,
    exposure,
    make_api,
    open_endpoint,
)

log = logging.getLogger("gluelab.api")
STATE_KEY = "gluelab"
NOTEBOOK_PATH_ACTIONS = ("PromoteNotebook", "DescribeNotebook")


@tornado.web.stream_request_body
class LabGlueHandler(APIHandler):
    """``POST gluelab/api``: a Glue action for a logged-in lab user (Jupyter's token or cookie, and XSRF).
    Jupyter's ``prepare`` refuses anyone else before the body is read; the body is at most
    ``max_request_bytes`` (413 before reading a larger declared one; a chunked one is cut off there)."""

    def initialize(self, api: GlueApi) -> None:
        self.api = api
        self._body = bytearray()

    async def prepare(self) -> None:
        await super().prepare()  # Jupyter's auth: 403 unless a logged-in user
        if self._finished:
            return
        declared = livy.declared_length(self.request)
        if declared is not None and declared > self.api.max_request_bytes:
            self._too_large()
            return
        slack = livy.CHUNK_SLACK if declared is None else 0
        self.request.connection.set_max_body_size(self.api.max_request_bytes + slack)

    def data_received(self, chunk: bytes) -> None:
        if self._finished:
            return
        if len(self._body) + len(chunk) > self.api.max_request_bytes:
            self._body = bytearray()
            self._too_large()
        else:
            self._body += chunk

    def _too_large(self) -> None:
        error = RequestEntityTooLargeException(
            f"The request body is larger than {self.api.max_request_bytes} bytes."
        )
        self.set_header("x-amzn-ErrorType", error.code)
        self.set_status(error.status)
        self.finish(protocol.encode(protocol.error_payload(error)), set_content_type=protocol.CONTENT_TYPE)

    @tornado.web.authenticated
    async def post(self) -> None:
        try:
            action = protocol.parse_target(self.request.headers.get("X-Amz-Target"))
            body = self._lab_paths(action, bytes(self._body))
            status, payload = 200, protocol.encode(await call_action(self.api, action, body))
        except GlueError as error:
            self.set_header("x-amzn-ErrorType", error.code)
            status, payload = error.status, protocol.encode(protocol.error_payload(error))
        self.set_status(status)
        self.set_header("Content-Type", protocol.CONTENT_TYPE)
        self.finish(payload)

    def _lab_paths(self, action: str, body: bytes) -> bytes:
        """A ``NotebookPath`` the lab sends is relative to the lab's root (its file browser's paths)."""
        if action not in NOTEBOOK_PATH_ACTIONS:
            return body
        try:
            request = json.loads(body or b"{}")
        except ValueError:
            return body  # call_action answers with Glue's SerializationException
        path = request.get("NotebookPath") if isinstance(request, dict) else None
        if isinstance(path, str) and path and not Path(path).expanduser().is_absolute():
            request["NotebookPath"] = str(Path(self.contents_manager.root_dir) / path)
            return json.dumps(request).encode()
        return body


class RunOutputHandler(JupyterHandler):
    """``GET gluelab/runs/<run id>/output.(html|ipynb)``: the executed notebook of a notebook job's run."""

    TYPES = {"html": "text/html; charset=utf-8", "ipynb": "application/x-ipynb+json"}

    def initialize(self, services: Services) -> None:
        self.services = services

    @tornado.web.authenticated
    async def get(self, run_id: str, kind: str) -> None:
        try:
            log_dir = Path(self.services.jobs.run_context(run_id)["LogDir"])
        except GlueError as error:
            raise tornado.web.HTTPError(404, reason=error.message) from None
        if kind == "ipynb":
            body = (log_dir / OUTPUT).read_bytes() if (log_dir / OUTPUT).is_file() else None
        else:  # rendered off the event loop (nbconvert takes a second)
            body = await asyncio.get_running_loop().run_in_executor(None, output_html, log_dir)
        if body is None:
            raise tornado.web.HTTPError(404, reason=f"Run {run_id} has no output notebook")
        self.set_header("Content-Type", self.TYPES[kind])
        if kind == "ipynb":
            self.set_header("Content-Disposition", f'attachment; filename="{run_id}.ipynb"')
        self.finish(body)


def _load_jupyter_server_extension(serverapp: Any) -> None:
    settings = Settings.load()
    settings.ensure_dirs()
    configure_logging(settings)
    # Recorded, endpoint or not, so that nothing wipes or reuses the home while the lab has it open.
    record_lab(settings, serverapp.ip, serverapp.port, str(getattr(serverapp, "connection_url", "")))
    services = open_services(settings)
    background = Background(services)
    background.start()
    web_app = serverapp.web_app
    base = web_app.settings["base_url"]
    web_app.add_handlers(
        ".*$",
        [
            (
                url_path_join(base, "gluelab", "api"),
                LabGlueHandler,
                {"api": make_api(services, verify=False)},
            ),
            (
                url_path_join(base, "gluelab", "runs", r"([^/]+)", r"output\.(html|ipynb)"),
                RunOutputHandler,
                {"services": services},
            ),
        ],
    )
    endpoint = _open_endpoint(serverapp, services)
    web_app.settings[STATE_KEY] = (services, background, endpoint)
    serverapp.log.info(
        "gluelab: the Glue API at %s (home %s)", url_path_join(base, "gluelab", "api"), settings.home
    )
    log.info("Jupyter server extension loaded (database %s)", services.store.url.render_as_string())


def _open_endpoint(serverapp: Any, services: Services) -> Endpoint | None:
    """The Glue API and Livy on host:port for boto3 and sparkmagic, unless something else provides them."""
    settings = services.settings
    if not settings.lab_endpoint:
        return None
    other = running_server(settings)
    if other is not None:
        serverapp.log.info(
            "gluelab: boto3 and sparkmagic use %s at %s", other.get("by", "gluelab serve"), other["url"]
        )
        return None
    try:
        endpoint = open_endpoint(services, settings.host, settings.port, by="jupyter lab")
    except ServeError as error:
        serverapp.log.warning("gluelab: not serving the Glue API for boto3 and sparkmagic: %s", error)
        return None
    serverapp.log.info("gluelab: the Glue API and Livy for boto3 and sparkmagic at %s", endpoint.url)
    if not is_loopback(settings.host):  # allowed by the allow_remote setting
        serverapp.log.warning(
            "gluelab: %s may be reached from other machines. %s", endpoint.url, exposure(settings)
        )
    return endpoint


def _unload_jupyter_server_extension(serverapp: Any) -> None:
    state = serverapp.web_app.settings.pop(STATE_KEY, None)
    if state is not None:
        services, background, endpoint = state
        if endpoint is not None:
            endpoint.close()
        withdraw(lab_file(services.settings))
        background.close()
        services.close()
        log.info("Jupyter server extension stopped")
