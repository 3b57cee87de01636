"""``aisle serve``: the chat widget and HTTP API on loopback by default.

Never ``share=True`` (no public tunnel), Gradio analytics off, and the agent is warmed up
before the port opens so the first shopper does not wait for model loading.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aisle import offline

if TYPE_CHECKING:
    from aisle.settings import Settings

log = logging.getLogger(__name__)


def create(settings: Settings, warm_up: bool = True) -> Any:
    """Build (but do not start) the Gradio app over an agent for ``settings``."""
    offline.apply()
    from agent.agent import Agent
    from ui.app import build_app

    agent = Agent.from_settings(settings=settings)
    if warm_up:
        agent.warm_up()
    return build_app(agent, settings.ui.title)


def serve(settings: Settings, host: str | None = None, port: int | None = None, warm_up: bool = True, block: bool = True) -> Any:
    from ui.render import CSS

    host = host or settings.ui.host
    port = port or settings.ui.port
    if host not in ("127.0.0.1", "localhost", "::1"):
        log.warning("serving on %s: the chat is reachable from other machines; put it behind your store's reverse proxy", host)
    app = create(settings, warm_up)
    app.queue(default_concurrency_limit=8)
    log.info("Aisle chat on http://%s:%d  (HTTP API: POST /gradio_api/call/chat)", host, port)
    app.launch(server_name=host, server_port=port, share=False, css=CSS, show_error=False, quiet=True, prevent_thread_lock=not block, footer_links=["api"])
    return app
