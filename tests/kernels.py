"""A Jupyter kernel driven the way a notebook drives it (jupyter_client): start it from its kernelspec,
run cells, interrupt them, collect what each cell showed."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Cell:
    status: str
    reply: dict[str, Any]
    messages: list[dict[str, Any]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """Everything the cell printed or displayed (HTML when there is some), and its traceback."""
        texts: list[str] = []
        for message in self.messages:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                texts.append(content["text"])
            elif kind in ("execute_result", "display_data", "update_display_data"):
                data = content["data"]
                texts.append(str(data.get("text/html") or data.get("text/plain", "")))
            elif kind == "error":
                texts.append("\n".join(content["traceback"]))
        return "".join(texts)

    @property
    def printed(self) -> str:
        """What the cell wrote to stdout and stderr."""
        return "".join(m["content"]["text"] for m in self.messages if m["msg_type"] == "stream")

    def of(self, *kinds: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["msg_type"] in kinds]


class Kernel:
    def __init__(self, name: str, env: dict[str, str], kernel_dirs: list[Path] | None = None):
        from jupyter_client.kernelspec import KernelSpecManager
        from jupyter_client.manager import KernelManager

        specs = KernelSpecManager(kernel_dirs=[str(d) for d in kernel_dirs]) if kernel_dirs else None
        options = {"kernel_spec_manager": specs} if specs else {}
        self.manager = KernelManager(kernel_name=name, **options)
        self.manager.start_kernel(env=env)
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=120)

    def cell(self, code: str, timeout: float = 240, interrupt_after: float | None = None) -> Cell:
        message_id = self.client.execute(code)
        messages: list[dict[str, Any]] = []
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
            if message["msg_type"] == "status" and message["content"]["execution_state"] == "idle":
                break
            messages.append(message)
        else:
            raise TimeoutError(f"the cell did not finish in {timeout} s: {code[:80]!r}")
        # The reply to this request: wait_for_ready may leave extra kernel_info replies in the queue
        # (it asks again while a busy machine starts the kernel slowly).
        reply = self.client.get_shell_msg(timeout=30)
        while reply["parent_header"].get("msg_id") != message_id:
            reply = self.client.get_shell_msg(timeout=30)
        return Cell(reply["content"]["status"], reply["content"], messages)

    def run(self, code: str, timeout: float = 240, interrupt_after: float | None = None) -> tuple[str, str]:
        """The reply status and everything the cell printed or displayed, as text."""
        cell = self.cell(code, timeout, interrupt_after)
        return cell.status, cell.text

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=False)
