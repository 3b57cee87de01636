"""The shopper JSON API: ``POST /api/session``, ``POST /api/chat``, ``POST /api/feedback``.

The contract for other systems (and the fast path for load): plain JSON over HTTP, no
Gradio queue. A session is a token the server signs (``ui/sessions.py``); every chat and
feedback call must carry one. The agent is synchronous, so a turn runs in a bounded thread
pool (``http.worker_threads``) after passing the ``TurnGate``. Errors are JSON
``{"error": {"code", "message"}}`` with 401 (session), 404, 413 (body), 422 (input),
429 (limits, with ``Retry-After``) or 503 (store down).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from aisle.errors import AisleError, InputError, NotFoundError, RateLimitError
from ui.limits import LimitExceeded
from ui.sessions import SessionTokenError
from ui.shopper import reply_json

if TYPE_CHECKING:
    from ui.shopper import Shopper

log = logging.getLogger(__name__)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ChatRequest(_In):
    session: str = Field(description="the token from POST /api/session")
    message: str = Field(description="the shopper's message (longer than agent.max_message_chars is cut, and the reply says so)")


class FeedbackRequest(_In):
    session: str = Field(description="the token of the conversation the reply belongs to")
    turn_id: int = Field(description="the reply's turn_id")
    rating: int = Field(description="+1 (👍) or -1 (👎)")
    correction: str | None = Field(None, description="with 👎: the intent the message was really about")
    comment: str | None = Field(None, max_length=2000)


class SessionResponse(BaseModel):
    session: str = Field(description="send it with every /api/chat and /api/feedback call; keep it private")
    expires_in_s: int


class ProductOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    price: float | None
    currency: str
    why: str


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    snippet: str = ""


class ReplyOut(BaseModel):
    """The agent's ``Reply`` (every field except the extracted slots); new ``Reply`` fields appear here too."""

    model_config = ConfigDict(extra="allow")
    text: str
    intent: str
    confidence: float
    products: list[ProductOut] = []
    citations: list[CitationOut] = []
    action: str | None = None
    handoff: bool = False
    handoff_reason: str | None = None
    turn_id: int = 0
    suggestions: list[str] = []


class FeedbackResponse(BaseModel):
    ok: bool
    feedback_id: int


class ErrorBody(BaseModel):
    code: str
    message: str


class ErrorResponse(BaseModel):
    error: ErrorBody


def error(status: int, code: str, message: str, retry_after_s: int | None = None) -> JSONResponse:
    headers = {"Retry-After": str(retry_after_s)} if retry_after_s else None
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status, headers=headers)


def unavailable(exc: AisleError) -> JSONResponse:
    """A store that is down: the detail (paths, errors) goes to the log, not to the shopper."""
    log.error("shopper API request failed: %s", exc)
    return error(503, "unavailable", "the store is temporarily unavailable; try again in a minute", 30)


def limit_error(exc: LimitExceeded) -> JSONResponse:
    return error(429, exc.code, str(exc), exc.retry_after_s)


ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "missing, forged or expired session token"},
    413: {"model": ErrorResponse, "description": "request body over http.max_body_bytes"},
    422: {"model": ErrorResponse, "description": "invalid input"},
    429: {
        "model": ErrorResponse,
        "description": "over a limit (in-flight turns, turns per session, new sessions per client); see Retry-After",
    },
}


def client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def api_router(shopper: Shopper) -> APIRouter:
    import anyio

    router = APIRouter(prefix="/api", tags=["shopper"])
    pool: list[anyio.CapacityLimiter] = []  # created on first use, inside the event loop

    def limiter() -> anyio.CapacityLimiter:
        if not pool:
            pool.append(anyio.CapacityLimiter(shopper.settings.http.worker_threads))
        return pool[0]

    @router.post("/session", response_model=SessionResponse, responses={429: ERRORS[429]})
    async def new_session(request: Request) -> Any:
        """Start a conversation: returns a session token signed by this store."""
        try:
            session = shopper.open_session("api", client_ip(request))
        except LimitExceeded as exc:
            return limit_error(exc)
        return {"session": session.token, "expires_in_s": int(shopper.signer.ttl_s)}

    @router.post("/chat", response_model=ReplyOut, responses={k: ERRORS[k] for k in (401, 413, 422, 429)})
    async def chat(body: ChatRequest, request: Request) -> Any:
        """One shopper message in a session → the reply (text, intent, products, citations, handoff, turn_id, …)."""
        try:
            session = shopper.verify(body.session)
        except SessionTokenError as exc:
            return error(401, "invalid_session", str(exc))
        try:
            shopper.gate.acquire(session.session_id)
        except LimitExceeded as exc:
            return limit_error(exc)
        try:
            reply = await anyio.to_thread.run_sync(
                shopper.respond_admitted, session, body.message, client_ip(request), limiter=limiter()
            )
        except RateLimitError as exc:
            return error(429, "rate_limited", str(exc), max(1, round(exc.retry_after_s)))
        except InputError as exc:
            return error(422, "invalid_input", str(exc))
        except AisleError as exc:
            return unavailable(exc)
        finally:
            shopper.gate.release()
        return reply_json(reply)

    @router.post(
        "/feedback",
        response_model=FeedbackResponse,
        responses={k: ERRORS[k] for k in (401, 413, 422, 429)} | {404: {"model": ErrorResponse}},
    )
    async def feedback(body: FeedbackRequest, request: Request) -> Any:
        """Rate a reply of this session: +1/-1, with an optional intent correction and comment."""
        try:
            session = shopper.verify(body.session)
        except SessionTokenError as exc:
            return error(401, "invalid_session", str(exc))
        try:
            fid = await anyio.to_thread.run_sync(
                shopper.feedback,
                session,
                body.turn_id,
                body.rating,
                body.correction,
                body.comment,
                client_ip(request),
                limiter=limiter(),
            )
        except LimitExceeded as exc:
            return limit_error(exc)
        except RateLimitError as exc:
            return error(429, "rate_limited", str(exc), max(1, round(exc.retry_after_s)))
        except NotFoundError:
            return error(404, "not_found", f"no turn {body.turn_id} in this session")
        except InputError as exc:
            return error(422, "invalid_input", str(exc))
        except AisleError as exc:
            return unavailable(exc)
        return {"ok": True, "feedback_id": fid}

    return router


def widget_router(shopper: Shopper) -> APIRouter:
    """``POST /api/widget/new-conversation``: the widget's "New conversation" form (not part of the API)."""
    from fastapi.responses import RedirectResponse

    from ui.console import same_origin
    from ui.server import shopper_cookie

    router = APIRouter(include_in_schema=False)

    @router.post("/api/widget/new-conversation")
    async def new_conversation(request: Request) -> Any:
        """A fresh session cookie, then back to the widget's page."""
        if not same_origin(request):
            return error(403, "forbidden", "cross-site request")
        try:
            session = shopper.open_session("web", client_ip(request))
        except LimitExceeded as exc:
            return limit_error(exc)
        response = RedirectResponse("../../", status_code=303)
        response.headers.append("set-cookie", shopper_cookie(session.token, int(shopper.signer.ttl_s), request.scope))
        return response

    return router
