"""The shopper's chat widget (Gradio): chat and the shopper's own feedback, nothing else.

Gradio runs any event of a Blocks app for whoever posts its ``fn_index``, hidden or not, so
this Blocks holds only shopper events: send (box, button, suggestion chips), 👍/👎
(``Chatbot.like``), the "this was about: …" correction, and a page-load that restores the
shopper's own conversation. Staff views live in another app behind a login (``ui/console.py``).

The conversation is the one named by the browser's ``aisle_shopper`` cookie: a session token
the server issued and signed (``ui/sessions.py``; the middleware in ``ui/server.py`` sets it).
No event takes a session id from the client. The cookie survives a server restart (the
conversation state is in SQLite), and "New conversation" asks the server for a new one.
Replies stream in; product cards, expandable sources and a handoff banner sit beside them.
"""

import logging
import time
from typing import TYPE_CHECKING, Any

from aisle.errors import AisleError, InputError
from ui import render
from ui.limits import LimitExceeded
from ui.sessions import Session, SessionTokenError

if TYPE_CHECKING:
    from ui.shopper import Shopper

log = logging.getLogger(__name__)
STREAM_STEPS = 4
CHIPS = 4
COOKIE = "aisle_shopper"
NEW_CONVERSATION_PATH = "api/widget/new-conversation"  # relative to the widget's page (works behind a path prefix)
SHOPPER_EVENTS = ("send", "on_like", "send_correction", "restore")  # the only functions this Blocks may hold


def session_of(shopper: "Shopper", request: Any) -> Session | None:
    """The conversation of the request's signed cookie, or None."""
    try:
        token = dict(request.cookies).get(COOKIE) if request is not None else None
        return shopper.verify(token)
    except (SessionTokenError, AttributeError, TypeError):
        return None


def client_of(request: Any) -> str:
    client = getattr(request, "client", None)
    return str(getattr(client, "host", None) or "unknown")


def build_app(shopper: "Shopper", title: str = "Aisle Store assistant") -> Any:
    import gradio as gr

    intents = sorted(set(shopper.agent.router.labels) | {shopper.agent.settings.intents.oos_label})
    expired = "Your conversation has expired. Reload the page to start a new one."

    def send(message: str, history: list[dict[str, Any]], turn_ids: dict[str, int], request: gr.Request) -> Any:
        history = list(history or [])
        text = message or ""
        keep = [gr.update()] * (4 + CHIPS)
        history.append({"role": "user", "content": text if text.strip() else "(empty message)"})
        yield history, "", turn_ids, *keep
        session = session_of(shopper, request)
        if session is None:
            history.append({"role": "assistant", "content": expired})
            yield history, "", turn_ids, *keep
            return
        try:
            reply = shopper.respond(session, text, client_of(request))
        except LimitExceeded as exc:
            history.append({"role": "assistant", "content": f"Sorry, {exc}."})
            yield history, "", turn_ids, *keep
            return
        except AisleError as exc:
            history.append({"role": "assistant", "content": f"Sorry, I couldn't process that: {exc}"})
            yield history, "", turn_ids, *keep
            return
        words = reply.text.split(" ")
        history.append({"role": "assistant", "content": ""})
        for step in range(1, STREAM_STEPS + 1):
            history[-1] = {"role": "assistant", "content": " ".join(words[: max(1, len(words) * step // STREAM_STEPS)])}
            if step < STREAM_STEPS:
                time.sleep(0.03)
                yield history, "", turn_ids, *keep
        history[-1] = {"role": "assistant", "content": reply.text}
        turn_ids = {**turn_ids, str(len(history) - 1): reply.turn_id}
        chips = [gr.update(value=s, visible=True) for s in reply.suggestions[:CHIPS]]
        chips += [gr.update(value="", visible=False)] * (CHIPS - len(chips))
        cards_update = render.product_cards(reply) if reply.products else gr.update()  # keep the shopper's last results
        yield (
            history,
            "",
            turn_ids,
            cards_update,
            render.sources(reply),
            render.handoff_banner(reply),
            gr.update(visible=False),
            *chips,
        )

    def restore(request: gr.Request) -> Any:
        """On page load: the shopper's own conversation so far (stored turns are redacted)."""
        session = session_of(shopper, request)
        if session is None:
            return [], {}
        try:
            turns = shopper.agent.history(session.session_id)[-20:]
        except AisleError:
            return [], {}
        history: list[dict[str, Any]] = []
        ids: dict[str, int] = {}
        for t in turns:
            history.append({"role": "user", "content": t["user_text"] or "(empty message)"})
            history.append({"role": "assistant", "content": t["reply_text"]})
            ids[str(len(history) - 1)] = t["turn_id"]
        return history, ids

    def on_like(data: gr.LikeData, turn_ids: dict[str, int], request: gr.Request) -> Any:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_id = turn_ids.get(str(index))
        session = session_of(shopper, request)
        if turn_id is None or turn_id <= 0 or session is None:
            return gr.update(value="Couldn't save that rating (unknown message).", visible=True), None
        liked = data.liked is True or data.liked == "Like"
        try:
            shopper.feedback(session, turn_id, 1 if liked else -1, None, None, client_of(request))
        except AisleError as exc:
            return gr.update(value=f"Not saved: {exc}", visible=True), None
        note = "Thanks for the 👍!" if liked else "Thanks, noted. What was this about? Pick it below to help me learn."
        return gr.update(value=note, visible=True), (None if liked else turn_id)

    def send_correction(label: str, comment: str, pending_turn: int | None, request: gr.Request) -> Any:
        session = session_of(shopper, request)
        if not pending_turn or session is None:
            return gr.update(value="Rate an answer with 👎 first.", visible=True)
        try:
            shopper.feedback(session, int(pending_turn), -1, label or None, comment or None, client_of(request))
        except (InputError, AisleError) as exc:
            return gr.update(value=f"Not saved: {exc}", visible=True)
        return gr.update(value="Correction saved, thank you.", visible=True)

    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        gr.Markdown(
            f"### {title}\nSearch the catalog, ask about delivery, returns and payments, or check an order (order number + e-mail)."
        )
        turn_ids = gr.State({})
        pending_turn = gr.State(None)
        banner = gr.HTML("", elem_id="aisle-banner")
        with gr.Row():
            with gr.Column(scale=5):
                chatbot = gr.Chatbot(
                    height=460,
                    elem_id="aisle-chatbot",
                    feedback_options=("Like", "Dislike"),
                    show_label=False,
                    placeholder="Hi! Try “red sandals under 500”, “how long does delivery take?” or “where is my order?”",
                )
                with gr.Row():
                    box = gr.Textbox(
                        placeholder="Type your message…", show_label=False, scale=6, elem_id="aisle-input", max_lines=4
                    )
                    send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="aisle-send")
                with gr.Row():
                    chips = [gr.Button("", visible=False, size="sm", elem_classes=["aisle-chip-btn"]) for _ in range(CHIPS)]
                # a plain form: the server answers with a new session cookie and reloads the page
                gr.HTML(
                    f'<form method="post" action="{NEW_CONVERSATION_PATH}" class="aisle-new-form">'
                    '<button type="submit" id="aisle-new" class="aisle-new-btn">New conversation</button></form>'
                )
                feedback_note = gr.Markdown(visible=False, elem_id="aisle-feedback-note")
                with gr.Accordion("Wrong answer? Tell me what it was about", open=False):
                    correction = gr.Dropdown(choices=intents, label="This was about", elem_id="aisle-correction")
                    comment = gr.Textbox(label="Comment (optional)", max_lines=2)
                    correct_btn = gr.Button("Send correction", size="sm", elem_id="aisle-correct")
            with gr.Column(scale=4):
                cards = gr.HTML(render.product_cards(None), elem_id="aisle-cards")
                cites = gr.HTML("", elem_id="aisle-sources")

        outputs = [chatbot, box, turn_ids, cards, cites, banner, feedback_note, *chips]
        inputs = [box, chatbot, turn_ids]
        box.submit(send, inputs, outputs, trigger_mode="once", api_visibility="private")
        send_btn.click(send, inputs, outputs, trigger_mode="once", api_visibility="private")
        for chip in chips:
            chip.click(send, [chip, chatbot, turn_ids], outputs, trigger_mode="once", api_visibility="private")
        chatbot.like(on_like, [turn_ids], [feedback_note, pending_turn], api_visibility="private")
        correct_btn.click(send_correction, [correction, comment, pending_turn], [feedback_note], api_visibility="private")
        demo.load(restore, None, [chatbot, turn_ids], api_visibility="private")
    return demo
