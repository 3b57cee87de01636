from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real Gradio app over the test store, served in-process on a free loopback port."""

    def __init__(self, agent: Any) -> None:
        from ui.app import build_app
        from ui.render import CSS

        self.agent = agent
        self.port = free_port()
        self.app = build_app(agent)
        self.app.queue(default_concurrency_limit=8)
        self.app.launch(server_name="127.0.0.1", server_port=self.port, share=False, prevent_thread_lock=True, quiet=True, css=CSS)
        self.url = f"http://127.0.0.1:{self.port}"

    def chat(self, message: str, session_id: str) -> dict[str, Any]:
        """The documented two-step HTTP call: POST → event id → GET the SSE result."""
        r = httpx.post(f"{self.url}/gradio_api/call/chat", json={"data": [message, session_id]}, timeout=60)
        r.raise_for_status()
        event = r.json()["event_id"]
        with httpx.stream("GET", f"{self.url}/gradio_api/call/chat/{event}", timeout=60) as resp:
            lines = [line for line in resp.iter_lines()]
        data = next(line for line in lines if line.startswith("data:"))
        assert any(line == "event: complete" for line in lines), lines
        return json.loads(data[5:])[0]

    def close(self) -> None:
        self.app.close()
        time.sleep(0.3)


@pytest.fixture
def server(store_agent) -> Iterator[Server]:
    srv = Server(store_agent)
    yield srv
    srv.close()
