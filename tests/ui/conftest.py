from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

STAFF_PASSWORD = "correct horse battery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The real ASGI apps (``ui/server.py``) over the test store, served by uvicorn on free loopback ports.

    ``http`` / ``staff`` override settings sections (limits, promoters); ``staff_port=True``
    serves the console only on its own port (``staff_url``), as ``aisle serve --staff-port``.
    """

    def __init__(
        self, agent: Any, http: dict[str, Any] | None = None, staff: dict[str, Any] | None = None, staff_port: bool = False
    ) -> None:
        from ui.server import serve

        s = agent.settings
        staff_over = {**(staff or {}), **({"port": free_port()} if staff_port else {})}
        self.settings = s.model_copy(
            update={"http": s.http.model_copy(update=http or {}), "staff": s.staff.model_copy(update=staff_over)}
        )
        self.agent = agent
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = serve(self.settings, host="127.0.0.1", port=self.port, block=False, agent=agent)
        self.staff_url = f"http://127.0.0.1:{self.settings.staff.port}" if staff_port else self.url

    # --- shopper ---------------------------------------------------------------------------------
    def new_session(self, client: httpx.Client | None = None) -> str:
        r = (client or httpx).post(f"{self.url}/api/session", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()["session"]

    def chat_response(self, message: str, token: str, client: httpx.Client | None = None) -> httpx.Response:
        return (client or httpx).post(f"{self.url}/api/chat", json={"session": token, "message": message}, timeout=60)

    def chat(self, message: str, token: str) -> dict[str, Any]:
        r = self.chat_response(message, token)
        assert r.status_code == 200, r.text
        return r.json()

    # --- staff -----------------------------------------------------------------------------------
    def add_staff(self, user: str, password: str = STAFF_PASSWORD) -> None:
        from agent.db import StaffRepository
        from ui.auth import StaffAuth
        from ui.keys import store_secret

        StaffAuth(StaffRepository(self.agent.db), store_secret(self.settings.home), self.settings.staff).add_user(user, password)

    @contextmanager
    def staff_client(self, user: str, password: str = STAFF_PASSWORD) -> Iterator[httpx.Client]:
        """An HTTP client logged into the console (the cookie in its jar)."""
        with httpx.Client(timeout=60, base_url=self.staff_url) as client:
            r = client.post(f"{self.settings.staff.path}/login", data={"username": user, "password": password})
            assert r.status_code == 303, r.text
            yield client

    def close(self) -> None:
        self.server.stop()
        time.sleep(0.2)


@pytest.fixture
def server(store_agent) -> Iterator[Server]:
    srv = Server(store_agent)
    yield srv
    srv.close()
