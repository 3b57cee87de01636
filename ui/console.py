"""The staff console (Gradio), its login page, and how both are mounted.

Tabs: Analytics, Handoff queue (with transcripts), Review (accept / relabel / reject the
learning loop's items), Models (list, promote, roll back), Router (what is serving), Audit
log. The console is mounted at ``staff.path`` (default ``/staff``) on the shopper port, or
only on its own port (``aisle serve --staff-port``).

Three locks, each enough on its own:

1. ``StaffGuard`` (``ui/server.py``), an ASGI middleware in front of the mount: every request
   under the path (the page, ``/config``, ``/gradio_api/queue/join`` with any ``fn_index``,
   file routes) needs a valid ``aisle_staff`` cookie, else 401 (or a redirect to the login
   page for a browser's page load);
2. Gradio's ``auth_dependency`` checks the same cookie again;
3. every handler asks for the logged-in user and writes the audit log *before* acting.

Staff never see a shopper's session id or token, only ``reference()``: a short keyed hash.
"""

import logging
from collections.abc import Callable
from html import escape
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from aisle.errors import AisleError
from ui import render
from ui.app import client_of
from ui.auth import COOKIE, LoginError, StaffAuth
from ui.limits import LimitExceeded

if TYPE_CHECKING:
    from fastapi import APIRouter

    from agent.agent import Agent

log = logging.getLogger(__name__)


class Console:
    """The console's actions, each checked and audited; the Gradio layout calls these."""

    def __init__(self, agent: "Agent", auth: StaffAuth, reference: Callable[[str], str]) -> None:
        self.agent = agent
        self.auth = auth
        self.reference = reference
        self.intents = sorted(set(agent.router.labels) | {agent.settings.intents.oos_label})

    # --- reading --------------------------------------------------------------------------------
    def analytics(self, window: str) -> Any:
        from agent.analytics import compute

        return compute(self.agent.db, window, self.agent.settings.agent.clarify_threshold)

    def handoffs(self) -> list[dict[str, Any]]:
        return [
            {
                "id": h["handoff_id"],
                "when": h["created_at"][:19],
                "reason": h["summary"]["reason"],
                "conversation": self.reference(h["session_id"]),
            }
            for h in self.agent.desk.list("open")
        ]

    def transcript(self, user: str, handoff_id: int, client: str) -> dict[str, Any] | None:
        self.auth.audit(user, "view_transcript", target=f"handoff:{handoff_id}", client=client)
        match = next((h for h in self.agent.desk.list(None, limit=1000) if h["handoff_id"] == handoff_id), None)
        if match is not None:
            match = {**match, "session_id": self.reference(match["session_id"])}
        return match

    def review_items(self, user: str, client: str) -> list[Any]:
        from agent import learning

        self.auth.audit(user, "collect_review_items", client=client)
        learning.collect(self.agent.db, self.agent.store_secret, oos_label=self.agent.settings.intents.oos_label)
        return learning.candidates(self.agent.db, "pending")

    def models(self) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        reg = self.agent.router.registry
        cur = reg.current()
        rows = [
            {
                "version": v.name,
                "current": bool(cur and cur.name == v.name),
                "created": (v.manifest.get("created_at") or "")[:19],
                **{k: v.metrics.get(k) for k in ("accuracy", "macro_f1", "oos_recall", "ece")},
            }
            for v in reg.versions()
        ]
        return rows, reg.history()[-20:]

    def router_state(self) -> dict[str, Any]:
        from agent.router import router_status

        return router_status(self.agent.settings, self.agent.router).to_dict()

    def store_health(self) -> dict[str, Any]:
        """The order store's alarm (a vanished, replaced or emptied ``aisle.db``)."""
        return self.agent.store_health().to_dict()

    # --- changing -------------------------------------------------------------------------------
    def close_handoff(self, user: str, handoff_id: int, client: str) -> bool:
        self.auth.audit(user, "close_handoff", target=f"handoff:{handoff_id}", client=client)
        return self.agent.desk.close(handoff_id)

    def decide(self, user: str, item_id: int, decision: str, label: str | None, client: str) -> Any:
        from agent import learning

        self.auth.audit(user, f"review_{decision}", target=f"review_item:{item_id}", detail=label, client=client)
        return learning.review(self.agent.db, item_id, decision, label or None, self.intents, reviewer=user)

    def promote(self, user: str, version: str, client: str, rollback: bool = False) -> str:
        """Make ``version`` current (only users named in ``staff.promoters``)."""
        action = "rollback" if rollback else "promote"
        if not self.auth.may_promote(user):
            self.auth.audit(user, f"{action}_denied", target=version, client=client)
            raise PermissionError(f"{user} may not promote models; ask a user listed in staff.promoters")
        self.auth.audit(user, action, target=version, client=client)
        return self.agent.router.registry.promote(version, reason=f"{action} by {user} (staff console)").name

    def previous_version(self) -> str | None:
        """The version that was current before the current one (for rollback)."""
        reg = self.agent.router.registry
        cur = reg.current()
        promoted = [e["version"] for e in reg.history() if e.get("event") == "promoted"]
        earlier = [v for v in promoted if not cur or v != cur.name]
        return earlier[-1] if earlier else None


def build_console(console: Console, title: str = "Aisle staff console") -> Any:
    import gradio as gr
    import pandas as pd

    from agent.analytics import WINDOWS

    def who(request: gr.Request) -> tuple[str, str]:
        user = getattr(request, "username", None) if request is not None else None
        if not user:  # the middleware and auth_dependency stop this earlier; never act without a user
            raise gr.Error("Please log in again.")
        return str(user), client_of(request)

    def note(text: str) -> Any:
        return gr.update(value=text, visible=True)

    def analytics(window: str, request: gr.Request) -> Any:
        who(request)
        r = console.analytics(window)
        intents_df = pd.DataFrame({"intent": list(r.intents), "turns": list(r.intents.values())})
        reasons_df = pd.DataFrame({"reason": list(r.handoff_reasons), "handoffs": list(r.handoff_reasons.values())})
        unanswered_df = pd.DataFrame(r.unanswered, columns=["question (redacted)", "times"])

        def bars(df: Any, col: str) -> Any:
            top = int(df[col].max()) if len(df) else 1
            return gr.update(value=df, y_lim=[0, max(1, top) * 1.1])

        return render.kpis(r), bars(intents_df, "turns"), bars(reasons_df, "handoffs"), unanswered_df

    def queue(request: gr.Request) -> Any:
        who(request)
        return pd.DataFrame(console.handoffs(), columns=["id", "when", "reason", "conversation"])

    def show_handoff(handoff_id: float | None, request: gr.Request) -> str:
        user, client = who(request)
        if handoff_id is None:
            return render.transcript(None)
        match = console.transcript(user, int(handoff_id), client)
        return render.transcript(match) if match else f"No handoff #{int(handoff_id)}."

    def close_handoff(handoff_id: float | None, request: gr.Request) -> Any:
        user, client = who(request)
        if handoff_id is not None:
            console.close_handoff(user, int(handoff_id), client)
        return queue(request), render.transcript(None)

    def review_items(request: gr.Request) -> Any:
        user, client = who(request)
        rows = [
            {
                "id": c.item_id,
                "reason": c.reason,
                "message (redacted)": c.text,
                "served as": c.predicted,
                "suggested": c.label or "",
            }
            for c in console.review_items(user, client)
        ]
        return pd.DataFrame(rows, columns=["id", "reason", "message (redacted)", "served as", "suggested"])

    def decide(item_id: float | None, label: str | None, decision: str, request: gr.Request) -> Any:
        user, client = who(request)
        if item_id is None:
            return note("Pick an item id first."), review_items(request)
        try:
            c = console.decide(user, int(item_id), decision, label, client)
        except AisleError as exc:
            return note(f"Not saved: {exc}"), review_items(request)
        return note(f"#{c.item_id}: {c.status}" + (f" as {c.label}" if c.label else "")), review_items(request)

    def decider(decision: str) -> Callable[..., Any]:
        def run(item_id: float | None, label: str | None, request: gr.Request) -> Any:
            return decide(item_id, label, decision, request)

        run.__name__ = f"review_{decision}"
        return run

    def models(request: gr.Request) -> Any:
        who(request)
        rows, history = console.models()
        versions = [r["version"] for r in rows]
        return (
            pd.DataFrame(rows, columns=["version", "current", "created", "accuracy", "macro_f1", "oos_recall", "ece"]),
            pd.DataFrame(history, columns=["at", "event", "version", "reason"]),
            gr.update(choices=versions),
        )

    def promote(version: str | None, request: gr.Request) -> Any:
        user, client = who(request)
        if not version:
            return note("Pick a version first."), *models(request)
        try:
            name = console.promote(user, version, client)
        except (PermissionError, AisleError) as exc:
            return note(f"Not promoted: {exc}"), *models(request)
        return note(f"current → {name}"), *models(request)

    def rollback(request: gr.Request) -> Any:
        user, client = who(request)
        previous = console.previous_version()
        if previous is None:
            return note("Nothing to roll back to."), *models(request)
        try:
            name = console.promote(user, previous, client, rollback=True)
        except (PermissionError, AisleError) as exc:
            return note(f"Not rolled back: {exc}"), *models(request)
        return note(f"rolled back: current → {name}"), *models(request)

    def router_state(request: gr.Request) -> Any:
        who(request)
        return console.router_state()

    def audit_log(request: gr.Request) -> Any:
        who(request)
        rows = console.auth.repo.audit_log(200)
        return pd.DataFrame(rows, columns=["audit_id", "at", "username", "action", "target", "detail", "client"])

    def whoami(request: gr.Request) -> str:
        user, _ = who(request)
        can = "may promote models" if console.auth.may_promote(user) else "may not promote models"
        health = console.store_health()
        alarm = ""
        if not health.get("ok"):
            alarm = (
                f'<div class="aisle-banner" id="aisle-store-alarm" style="background:#fee2e2;border-color:#dc2626;color:#991b1b">'
                f"⚠ ORDER STORE PROBLEM ({escape(str(health.get('problem')))}): {escape(str(health.get('detail')))} "
                "Order lookups are answered degraded until this is fixed.</div>"
            )
        return (
            f'{alarm}Logged in as <b id="aisle-staff-user">{escape(user)}</b> ({can}) · '
            '<form method="post" action="logout" style="display:inline"><button type="submit" id="aisle-logout">Log out</button></form>'
        )

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        with gr.Row():
            gr.Markdown(f"### {title}")
            user_html = gr.HTML("", elem_id="aisle-whoami")
        with gr.Tab("Analytics", id="analytics"):
            with gr.Row():
                window = gr.Dropdown(list(WINDOWS), value="last 7 days", label="Window", scale=2)
                refresh = gr.Button("Refresh", scale=1, elem_id="aisle-refresh")
            kpi = gr.HTML(elem_id="aisle-kpis")
            with gr.Row():
                intents_plot = gr.BarPlot(x="intent", y="turns", title="Intents", x_label_angle=-45, height=300)
                reasons_plot = gr.BarPlot(x="reason", y="handoffs", title="Handoff reasons", height=300)
            unanswered = gr.Dataframe(label="Top unanswered questions", interactive=False)
        with gr.Tab("Handoff queue", id="handoffs"):
            queue_df = gr.Dataframe(
                label="Open handoffs (conversation = an opaque reference)", interactive=False, elem_id="aisle-queue"
            )
            with gr.Row():
                pick = gr.Number(label="Handoff id", precision=0)
                open_btn = gr.Button("Show transcript")
                close_btn = gr.Button("Mark handled")
                reload_btn = gr.Button("Reload queue")
            transcript_html = gr.HTML(render.transcript(None), elem_id="aisle-transcript")
        with gr.Tab("Review", id="review"):
            gr.Markdown(
                "Feedback waiting for review (👎 on confident answers, corrections, messages before a handoff). "
                "Only accepted items are used by `aisle retrain`."
            )
            review_df = gr.Dataframe(label="Pending", interactive=False)
            with gr.Row():
                item = gr.Number(label="Item id", precision=0)
                item_label = gr.Dropdown(choices=console.intents, label="Label (for accept / relabel)")
            with gr.Row():
                accept_btn = gr.Button("Accept", variant="primary")
                relabel_btn = gr.Button("Relabel")
                reject_btn = gr.Button("Reject", variant="stop")
                reload_review = gr.Button("Collect & reload")
            review_note = gr.Markdown(visible=False)
        with gr.Tab("Models", id="models"):
            versions_df = gr.Dataframe(label="Intent model versions", interactive=False)
            history_df = gr.Dataframe(label="Promotions", interactive=False)
            with gr.Row():
                version = gr.Dropdown(choices=[], label="Version")
                promote_btn = gr.Button("Promote", variant="primary")
                rollback_btn = gr.Button("Roll back to the previous version")
                reload_models = gr.Button("Reload")
            models_note = gr.Markdown(visible=False, elem_id="aisle-models-note")
        with gr.Tab("Router", id="router"):
            router_json = gr.JSON(label="Serving now")
            reload_router = gr.Button("Reload")
        with gr.Tab("Audit log", id="audit"):
            audit_df = gr.Dataframe(label="Staff actions, newest first", interactive=False)
            reload_audit = gr.Button("Reload")

        a_out = [kpi, intents_plot, reasons_plot, unanswered]
        m_out = [versions_df, history_df, version]
        refresh.click(analytics, [window], a_out)
        window.change(analytics, [window], a_out)
        reload_btn.click(queue, None, [queue_df])
        open_btn.click(show_handoff, [pick], [transcript_html])
        close_btn.click(close_handoff, [pick], [queue_df, transcript_html])
        reload_review.click(review_items, None, [review_df])
        for btn, decision in ((accept_btn, "accept"), (relabel_btn, "relabel"), (reject_btn, "reject")):
            btn.click(decider(decision), [item, item_label], [review_note, review_df])
        reload_models.click(models, None, m_out)
        promote_btn.click(promote, [version], [models_note, *m_out])
        rollback_btn.click(rollback, None, [models_note, *m_out])
        reload_router.click(router_state, None, [router_json])
        reload_audit.click(audit_log, None, [audit_df])
        demo.load(whoami, None, [user_html])
        demo.load(analytics, [window], a_out)
        demo.load(queue, None, [queue_df])
        demo.load(models, None, m_out)
        demo.load(router_state, None, [router_json])
    return demo


# --- the login page ------------------------------------------------------------------------------
LOGIN_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Staff login</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;background:#f3f4f6;display:flex;justify-content:center;padding-top:10vh}}
form{{background:#fff;padding:24px 28px;border-radius:12px;border:1px solid #e5e7eb;display:flex;flex-direction:column;gap:10px;width:300px}}
input{{padding:8px;border:1px solid #d1d5db;border-radius:8px}}button{{padding:9px;border:0;border-radius:8px;background:#2563eb;color:#fff;font-weight:600}}
.err{{color:#b91c1c}}</style></head><body>
<form method="post" action="login"><h2>Staff console</h2>{message}
<label>User <input name="username" id="username" autocomplete="username" required></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password" required></label>
<button type="submit" id="login">Log in</button></form></body></html>"""


def login_router(auth: StaffAuth, path: str) -> "APIRouter":
    """``GET/POST {path}/login`` and ``POST {path}/logout`` (outside the Gradio mount, on the parent app)."""
    from fastapi import APIRouter, Request
    from fastapi.responses import HTMLResponse, RedirectResponse

    router = APIRouter(include_in_schema=False)

    def page(message: str = "", status: int = 200) -> HTMLResponse:
        body = LOGIN_PAGE.format(message=f'<p class="err" id="login-error">{escape(message)}</p>' if message else "")
        return HTMLResponse(body, status_code=status, headers={"Cache-Control": "no-store", "X-Frame-Options": "DENY"})

    @router.get(f"{path}/login")
    async def login_form() -> HTMLResponse:
        return page()

    @router.post(f"{path}/login")
    async def login(request: Request) -> Any:
        if not same_origin(request):
            return page("Log in from the console's own page.", 403)
        form = parse_qs((await request.body()).decode("utf-8", "replace"), max_num_fields=10)
        username, password = (form.get("username") or [""])[0], (form.get("password") or [""])[0]
        import anyio

        try:  # scrypt takes ~50 ms: off the event loop
            result = await anyio.to_thread.run_sync(auth.login, username, password, client_of(request))
        except LimitExceeded as exc:
            return page(str(exc), 429)
        except LoginError as exc:
            return page(str(exc), 401)
        response = RedirectResponse(f"{path}/", status_code=303)
        response.set_cookie(
            COOKIE,
            result.cookie,
            max_age=result.max_age_s,
            path=path,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    @router.post(f"{path}/logout")
    async def logout(request: Request) -> Any:
        auth.logout(request.cookies.get(COOKIE), client_of(request))
        response = RedirectResponse(f"{path}/login", status_code=303)
        response.delete_cookie(COOKIE, path=path, httponly=True, samesite="strict")
        return response

    return router


def same_origin(request: Any) -> bool:
    """A browser's POST carries ``Origin``; it must be this host (scripts without one are allowed)."""
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None
    from urllib.parse import urlsplit

    return urlsplit(origin).netloc == request.headers.get("host", "")
