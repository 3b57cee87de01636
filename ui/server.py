"""``aisle serve``: one ASGI app (FastAPI) holding the shopper's two surfaces and, unless it has
its own port, the staff console.

===============================  ==========================================================
``/``                            the chat widget (Gradio; shopper events only)
``/api/session|chat|feedback``   the JSON API (``ui/api.py``); ``/docs`` documents it
``/staff/``                      the staff console behind a login (``ui/console.py``), or
                                 only on ``--staff-port`` (then absent here)
===============================  ==========================================================

``HttpGuard``, an ASGI middleware in front of everything, enforces what must hold for every
route whatever the app behind it does: request-size limits (413), a login for anything
under the console's path, including Gradio's internal routes (401, or a redirect to the
login page for a browser), and the widget's server-issued session cookie. Loopback by
default, never ``share=True``, Gradio analytics off; the agent is warmed up before the port
opens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from typing import TYPE_CHECKING, Any

from aisle import offline
from ui.app import COOKIE as SHOPPER_COOKIE
from ui.auth import COOKIE as STAFF_COOKIE
from ui.limits import LimitExceeded
from ui.sessions import SessionTokenError

if TYPE_CHECKING:
    from fastapi import FastAPI

    from agent.agent import Agent
    from aisle.settings import Settings
    from ui.auth import StaffAuth
    from ui.shopper import Shopper

log = logging.getLogger(__name__)
API_PREFIX = "/api"
DOC_PATHS = ("/docs", "/docs/oauth2-redirect", "/openapi.json", "/redoc")
LOOPBACK = ("127.0.0.1", "localhost", "::1")
WIDGET_BLOCKED = ("/upload", "/process_recording", "/gradio_api/mcp")


class HttpGuard:
    """ASGI middleware: body limits, the staff login wall, the shopper's session cookie.

    ``staff_only`` is the console's own port: everything there but the login page needs a login.
    """

    def __init__(
        self,
        app: Any,
        *,
        shopper: Shopper | None,
        auth: StaffAuth | None,
        staff_path: str | None,
        max_api_body: int,
        max_widget_body: int,
        staff_only: bool = False,
    ) -> None:
        self.app = app
        self.shopper = shopper
        self.auth = auth
        self.staff_path = staff_path
        self.max_api_body = max_api_body
        self.max_widget_body = max_widget_body
        self.staff_only = staff_only

    def _is_staff(self, path: str) -> bool:
        if self.staff_only:
            return True
        p = self.staff_path
        return p is not None and (path == p or path.startswith(p + "/"))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if self._is_staff(path):
            await self._staff(scope, receive, send, path)
        elif path == API_PREFIX or path.startswith(API_PREFIX + "/") or path in DOC_PATHS:
            await self._limited(scope, receive, send, self.max_api_body)
        elif self.shopper is None:
            await _json(send, 404, {"error": {"code": "not_found", "message": "nothing here"}})
        else:
            await self._widget(scope, receive, send, path)

    # --- staff -----------------------------------------------------------------------------------
    async def _staff(self, scope: dict[str, Any], receive: Any, send: Any, path: str) -> None:
        p = self.staff_path or "/staff"
        if path in (f"{p}/login", f"{p}/login/", f"{p}/logout") or (self.staff_only and path == "/"):
            await self._limited(scope, receive, send, self.max_api_body, extra_headers=_STAFF_HEADERS)
            return
        user = self.auth.user_for(_cookies(scope).get(STAFF_COOKIE)) if self.auth is not None else None
        if user is None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
            elif scope.get("method") == "GET" and "text/html" in _header(scope, b"accept"):
                await _redirect(send, f"{scope.get('root_path', '')}{p}/login")
            else:
                await _json(send, 401, {"error": {"code": "login_required", "message": f"log in at {p}/login"}})
            return
        scope.setdefault("state", {})["staff_user"] = user
        await self._limited(scope, receive, send, self.max_widget_body, extra_headers=_STAFF_HEADERS)

    # --- widget ----------------------------------------------------------------------------------
    async def _widget(self, scope: dict[str, Any], receive: Any, send: Any, path: str) -> None:
        """Make sure the widget's events see a server-issued session cookie; issue one if needed."""
        assert self.shopper is not None
        if any(part in path for part in WIDGET_BLOCKED):  # the widget takes no files: no uploads into Gradio's cache
            await _json(send, 404, {"error": {"code": "not_found", "message": "nothing here"}})
            return
        method = scope.get("method")
        needs_session = scope["type"] == "http" and (
            method in ("POST", "PUT", "PATCH", "DELETE") or (method == "GET" and path in ("", "/"))
        )
        cookies = _cookies(scope)
        issued = None
        if needs_session:
            try:
                self.shopper.verify(cookies.get(SHOPPER_COOKIE))
            except SessionTokenError:  # missing, forged or expired: a fresh conversation
                client = (scope.get("client") or ("unknown", 0))[0]
                try:
                    issued = self.shopper.open_session("web", client)
                except LimitExceeded as exc:
                    await _json(
                        send,
                        429,
                        {"error": {"code": exc.code, "message": str(exc)}},
                        [(b"retry-after", str(exc.retry_after_s).encode())],
                    )
                    return
                scope = {**scope, "headers": _with_cookie(scope["headers"], SHOPPER_COOKIE, issued.token)}
        extra = (
            [(b"set-cookie", shopper_cookie(issued.token, int(self.shopper.signer.ttl_s), scope).encode("latin-1"))]
            if issued
            else []
        )
        await self._limited(scope, receive, send, self.max_widget_body, extra_headers=extra)

    # --- body size -------------------------------------------------------------------------------
    async def _limited(
        self, scope: dict[str, Any], receive: Any, send: Any, limit: int, extra_headers: list[tuple[bytes, bytes]] | None = None
    ) -> None:
        if extra_headers:
            send = _adding_headers(send, extra_headers)
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        too_large = {"error": {"code": "too_large", "message": f"request body over {limit} bytes"}}
        if length:
            if not length.isdigit() or int(length) > limit:
                await _json(send, 413, too_large)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS") and not _header(scope, b"transfer-encoding"):
            await self.app(scope, receive, send)
            return
        # no Content-Length (chunked): read up to the limit before the app sees any of it
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > limit:
                await _json(send, 413, too_large)
                return
            if not message.get("more_body"):
                break
        body, done = b"".join(chunks), False

        async def replay() -> dict[str, Any]:
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


_STAFF_HEADERS = [
    (b"cache-control", b"no-store"),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


def shopper_cookie(token: str, max_age: int, scope: dict[str, Any]) -> str:
    secure = "; Secure" if scope.get("scheme") in ("https", "wss") else ""
    return f"{SHOPPER_COOKIE}={token}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{secure}"


def _header(scope: dict[str, Any], name: bytes) -> str:
    for k, v in scope.get("headers", []):
        if k == name:
            return v.decode("latin-1")
    return ""


def _cookies(scope: dict[str, Any]) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for k, v in scope.get("headers", []):
        if k == b"cookie":
            with contextlib.suppress(Exception):
                jar.load(v.decode("latin-1"))
    return {k: m.value for k, m in jar.items()}


def _with_cookie(headers: list[tuple[bytes, bytes]], name: str, value: str) -> list[tuple[bytes, bytes]]:
    """The request headers with ``name`` set to ``value`` in the Cookie header (replacing any old one)."""
    parts = []
    for k, v in headers:
        if k == b"cookie":
            parts += [p.strip() for p in v.decode("latin-1").split(";") if p.strip() and not p.strip().startswith(name + "=")]
    parts.append(f"{name}={value}")
    return [(k, v) for k, v in headers if k != b"cookie"] + [(b"cookie", "; ".join(parts).encode("latin-1"))]


def _adding_headers(send: Any, headers: list[tuple[bytes, bytes]]) -> Any:
    async def wrapped(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    return wrapped


async def _json(send: Any, status: int, body: dict[str, Any], headers: list[tuple[bytes, bytes]] | None = None) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode()), *(headers or [])],
        }
    )
    await send({"type": "http.response.body", "body": data})


async def _redirect(send: Any, location: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 303,
            "headers": [(b"location", location.encode("latin-1")), (b"content-length", b"0")],
        }
    )
    await send({"type": "http.response.body", "body": b""})


# --- building the apps ---------------------------------------------------------------------------
@dataclass
class Served:
    """The ASGI apps of one ``aisle serve`` (each a FastAPI app behind its ``HttpGuard``): ``app`` on the
    shopper port, ``staff_app`` on the console's own port (or None)."""

    app: HttpGuard
    staff_app: HttpGuard | None
    shopper: Shopper
    auth: StaffAuth


def build(agent: Agent, settings: Settings, staff_port: bool | None = None) -> Served:
    """The ASGI apps over ``agent``. ``staff_port``: serve the console on its own app (default: ``staff.port`` is set)."""
    from agent.db import StaffRepository
    from ui.auth import StaffAuth
    from ui.keys import store_secret
    from ui.shopper import Shopper

    settings.ensure_dirs()
    secret = store_secret(settings.home)
    shopper = Shopper(agent, settings, secret)
    auth = StaffAuth(StaffRepository(agent.db), secret, settings.staff)
    own_port = settings.staff.port is not None if staff_port is None else staff_port
    console_here = settings.staff.enabled and not own_port
    app = _shopper_app(shopper, auth if console_here else None, settings)
    staff_app = _staff_app(shopper, auth, settings) if settings.staff.enabled and own_port else None
    return Served(app, staff_app, shopper, auth)


def _fastapi(**kwargs: Any) -> FastAPI:
    from fastapi import FastAPI
    from fastapi.exceptions import RequestValidationError

    app = FastAPI(**kwargs)

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Any, exc: RequestValidationError) -> Any:
        from ui.api import error

        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(x) for x in first.get("loc", ()) if x != "body")
        return error(422, "invalid_request", f"{where}: {first.get('msg', 'invalid request')}" if where else "invalid JSON body")

    return app


def _shopper_app(shopper: Shopper, auth: StaffAuth | None, settings: Settings) -> HttpGuard:
    import gradio as gr

    from ui.api import api_router, widget_router
    from ui.app import build_app
    from ui.render import CSS

    app = _fastapi(
        title=f"{settings.ui.title}: shopper API",
        version="1",
        description="Chat with the store's assistant from other systems. Start with POST /api/session; "
        "send its token with every /api/chat and /api/feedback call.",
    )
    app.include_router(api_router(shopper))
    app.include_router(widget_router(shopper))

    if auth is not None:
        _mount_console(app, shopper, auth, settings)
    widget = build_app(shopper, settings.ui.title)
    widget.queue(default_concurrency_limit=settings.http.widget_concurrency)
    gr.mount_gradio_app(
        app,
        widget,
        path="/",
        footer_links=[],
        show_error=False,
        css=CSS,
        ssr_mode=False,
        mcp_server=False,
        max_file_size=settings.http.max_widget_body_bytes,
        run_history=False,
    )
    return HttpGuard(
        app,
        shopper=shopper,
        auth=auth,
        staff_path=settings.staff.path if auth else None,
        max_api_body=settings.http.max_body_bytes,
        max_widget_body=settings.http.max_widget_body_bytes,
    )


def _mount_console(app: FastAPI, shopper: Shopper, auth: StaffAuth, settings: Settings) -> None:
    import gradio as gr

    from ui.console import Console, build_console, login_router
    from ui.render import CSS

    path = settings.staff.path
    app.include_router(login_router(auth, path))
    console = build_console(Console(shopper.agent, auth, shopper.reference), f"{settings.ui.title}: staff console")
    console.queue(default_concurrency_limit=4)
    gr.mount_gradio_app(
        app,
        console,
        path=path,
        footer_links=[],
        show_error=True,
        css=CSS,
        ssr_mode=False,
        mcp_server=False,
        auth_dependency=lambda request: auth.user_for(request.cookies.get(STAFF_COOKIE)),
        max_file_size=1,
        run_history=False,
    )


def _staff_app(shopper: Shopper, auth: StaffAuth, settings: Settings) -> HttpGuard:
    from fastapi.responses import RedirectResponse

    app = _fastapi(title="staff console", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/", include_in_schema=False)
    async def root() -> Any:
        return RedirectResponse(f"{settings.staff.path}/", status_code=303)

    _mount_console(app, shopper, auth, settings)
    return HttpGuard(
        app,
        shopper=None,
        auth=auth,
        staff_path=settings.staff.path,
        staff_only=True,
        max_api_body=settings.http.max_body_bytes,
        max_widget_body=settings.http.max_widget_body_bytes,
    )


def create(settings: Settings, warm_up: bool = True, staff_port: bool | None = None) -> Served:
    """Build (but do not start) the apps over a new agent for ``settings``."""
    offline.apply()
    from agent.agent import Agent

    agent = Agent.from_settings(settings=settings)
    if warm_up:
        agent.warm_up()
    return build(agent, settings, staff_port)


# --- running them ------------------------------------------------------------------------------
def uvicorn_config(app: Any, host: str, port: int, settings: Settings) -> Any:
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        access_log=False,
        timeout_keep_alive=30,
        proxy_headers=bool(settings.http.forwarded_allow_ips),
        forwarded_allow_ips=settings.http.forwarded_allow_ips or None,
        server_header=False,
    )


class _Server:
    """uvicorn servers started in a background thread (tests, benchmarks) or in the foreground (CLI)."""

    def __init__(self, configs: list[Any]) -> None:
        import uvicorn

        class Quiet(uvicorn.Server):
            @contextlib.contextmanager
            def capture_signals(self) -> Iterator[None]:  # the first server handles Ctrl-C for all
                yield

        self.servers = [uvicorn.Server(configs[0]), *(Quiet(c) for c in configs[1:])]

    async def run(self) -> None:
        extra = [asyncio.create_task(s.serve()) for s in self.servers[1:]]
        try:
            await self.servers[0].serve()
        finally:
            for s in self.servers[1:]:
                s.should_exit = True
            await asyncio.gather(*extra, return_exceptions=True)

    def start_in_thread(self, timeout_s: float = 60.0) -> None:
        import threading
        import time

        self._thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True, name="aisle-http")
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not all(s.started for s in self.servers):
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the HTTP server did not start (port in use?)")
            time.sleep(0.05)

    def stop(self) -> None:
        for s in self.servers:
            s.should_exit = True
        self._thread.join(timeout=30)


def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    staff_port: int | None = None,
    warm_up: bool = True,
    block: bool = True,
    agent: Agent | None = None,
) -> _Server:
    """Serve the shopper port (and the console's own port, if any). ``block=False`` returns a started server to ``stop()``."""
    host = host or settings.ui.host
    port = port or settings.ui.port
    if staff_port is not None:
        settings = settings.model_copy(update={"staff": settings.staff.model_copy(update={"port": staff_port})})
    if host not in LOOPBACK:
        log.warning("serving on %s: the chat is reachable from other machines; put it behind your store's reverse proxy", host)
    if agent is None:
        served = create(settings, warm_up)
    else:
        served = build(agent, settings)
    configs = [uvicorn_config(served.app, host, port, settings)]
    if served.staff_app is not None:
        configs.append(uvicorn_config(served.staff_app, settings.staff.host, int(settings.staff.port or 0), settings))
        if settings.staff.host not in LOOPBACK:
            log.warning("the staff console listens on %s: keep it behind the store's VPN or reverse proxy", settings.staff.host)
    server = _Server(configs)
    console = (
        f"http://{settings.staff.host}:{settings.staff.port}{settings.staff.path}/"
        if served.staff_app is not None
        else f"http://{host}:{port}{settings.staff.path}/"
        if settings.staff.enabled
        else "off"
    )
    log.info(
        "Aisle chat on http://%s:%d/  (JSON API: POST /api/session, /api/chat; docs /docs; staff console: %s)",
        host,
        port,
        console,
    )
    if block:
        asyncio.run(server.run())
    else:
        server.start_in_thread()
    return server
