"""The Gradio app: the shopper's chat widget and the staff's analytics and handoff queue.

* **Chat**: replies stream in; product cards, expandable sources and a handoff banner sit
  beside the conversation; every bot message has 👍/👎 (``Chatbot.like``) wired to
  ``Agent.feedback``, with an optional "this was about: …" correction. One session per
  browser tab (a hidden component holds its id, so the conversation survives a server
  restart: the state itself is in SQLite); "New conversation" starts another.
* **Analytics**: deflection, handoffs, intents, low confidence, thumbs, latency, unanswered
  questions over a chosen window, from the SQLite log.
* **Handoff queue**: open handoffs with their redacted transcripts.
* **Review**: the learning loop's review queue (accept / relabel / reject feedback candidates).
* **HTTP API**: ``/chat`` (message, session_id) → the reply as JSON, for other systems.
"""


import logging
import time
import uuid
from typing import TYPE_CHECKING, Any

from aisle.errors import AisleError
from ui import render

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.types import Reply

log = logging.getLogger(__name__)
STREAM_STEPS = 4
CHIPS = 4


def _new_session() -> str:
    return f"web-{uuid.uuid4().hex[:16]}"


def reply_json(reply: "Reply") -> dict[str, Any]:
    d = reply.to_dict()
    d.pop("slots", None)
    return d


def build_app(agent: "Agent", title: str = "Aisle Store assistant") -> Any:
    import gradio as gr
    import pandas as pd

    from agent.analytics import WINDOWS, compute

    intents = sorted(set(agent.router.labels) | {"out_of_scope"})

    # --- chat handlers -------------------------------------------------------------------
    def send(message: str, history: list[dict[str, Any]], session_id: str, turn_ids: dict[str, int]) -> Any:
        session_id = session_id or _new_session()
        history = list(history or [])
        text = message or ""
        history.append({"role": "user", "content": text if text.strip() else "(empty message)"})
        yield history, "", session_id, turn_ids, gr.update(), gr.update(), gr.update(), *([gr.update()] * CHIPS)
        try:
            reply = agent.respond(session_id, text)
        except AisleError as exc:
            history.append({"role": "assistant", "content": f"Sorry, I couldn't process that: {exc}"})
            yield history, "", session_id, turn_ids, gr.update(), gr.update(), gr.update(), *([gr.update()] * CHIPS)
            return
        words = reply.text.split(" ")
        history.append({"role": "assistant", "content": ""})
        for step in range(1, STREAM_STEPS + 1):
            history[-1] = {"role": "assistant", "content": " ".join(words[: max(1, len(words) * step // STREAM_STEPS)])}
            if step < STREAM_STEPS:
                time.sleep(0.03)
                yield history, "", session_id, turn_ids, gr.update(), gr.update(), gr.update(), *([gr.update()] * CHIPS)
        history[-1] = {"role": "assistant", "content": reply.text}
        turn_ids = {**turn_ids, str(len(history) - 1): reply.turn_id}
        chips = [gr.update(value=s, visible=True) for s in reply.suggestions[:CHIPS]]
        chips += [gr.update(value="", visible=False)] * (CHIPS - len(chips))
        cards_update = render.product_cards(reply) if reply.products else gr.update()  # keep the shopper's last results
        yield (history, "", session_id, turn_ids, cards_update, render.sources(reply), render.handoff_banner(reply), *chips)

    def new_conversation() -> Any:
        return [], _new_session(), {}, render.product_cards(None), "", "", *([gr.update(value="", visible=False)] * CHIPS)

    def on_like(data: gr.LikeData, session_id: str, turn_ids: dict[str, int]) -> Any:
        index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
        turn_id = turn_ids.get(str(index))
        if turn_id is None or turn_id <= 0:
            return gr.update(value="Couldn't save that rating (unknown message).", visible=True), None
        liked = data.liked is True or data.liked == "Like"
        agent.feedback(session_id, turn_id, 1 if liked else -1)
        note = "Thanks for the 👍!" if liked else "Thanks, noted. What was this about? Pick it below to help me learn."
        return gr.update(value=note, visible=True), (None if liked else turn_id)

    def send_correction(label: str, comment: str, session_id: str, pending_turn: int | None) -> Any:
        if not pending_turn:
            return gr.update(value="Rate an answer with 👎 first.", visible=True)
        try:
            agent.feedback(session_id, int(pending_turn), -1, correction=label or None, comment=comment or None)
        except AisleError as exc:
            return gr.update(value=f"Not saved: {exc}", visible=True)
        return gr.update(value="Correction saved, thank you.", visible=True)

    # --- staff handlers -------------------------------------------------------------------
    def analytics(window: str) -> Any:
        r = compute(agent.db, window, agent.settings.agent.clarify_threshold)
        intents_df = pd.DataFrame({"intent": list(r.intents), "turns": list(r.intents.values())})
        reasons_df = pd.DataFrame({"reason": list(r.handoff_reasons), "handoffs": list(r.handoff_reasons.values())})
        unanswered_df = pd.DataFrame(r.unanswered, columns=["question (redacted)", "times"])
        def bars(df: Any, col: str) -> Any:
            top = int(df[col].max()) if len(df) else 1
            return gr.update(value=df, y_lim=[0, max(1, top) * 1.1])

        return render.kpis(r), bars(intents_df, "turns"), bars(reasons_df, "handoffs"), unanswered_df

    def queue() -> Any:
        items = agent.desk.list("open")
        df = pd.DataFrame([{"id": h["handoff_id"], "when": h["created_at"][:19], "reason": h["summary"]["reason"], "session": h["session_id"]} for h in items],
                          columns=["id", "when", "reason", "session"])
        return df

    def show_handoff(handoff_id: float | None) -> str:
        if handoff_id is None:
            return render.transcript(None)
        match = next((h for h in agent.desk.list(None) if h["handoff_id"] == int(handoff_id)), None)
        return render.transcript(match) if match else f"No handoff #{int(handoff_id)}."

    def close_handoff(handoff_id: float | None) -> Any:
        if handoff_id is not None:
            agent.desk.close(int(handoff_id))
        return queue(), render.transcript(None)

    def feedback_api(session_id: str, turn_id: int, rating: int, correction: str = "", comment: str = "") -> dict[str, Any]:
        """Rate a reply over HTTP: rating +1/-1, optional intent correction and comment → the feedback id."""
        try:
            fid = agent.feedback(session_id, int(turn_id), int(rating), correction or None, comment or None)
        except AisleError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": True, "feedback_id": fid}

    def review_items() -> Any:
        from agent.learning import candidates, collect

        collect(agent.db, agent.settings.agent.pii_salt)
        rows = [{"id": c.item_id, "reason": c.reason, "message (redacted)": c.text, "served as": c.predicted, "suggested": c.label or ""}
                for c in candidates(agent.db, "pending")]
        return pd.DataFrame(rows, columns=["id", "reason", "message (redacted)", "served as", "suggested"])

    def decide(item_id: float | None, label: str | None, decision: str) -> Any:
        from agent.learning import review

        if item_id is None:
            return gr.update(value="Pick an item id first.", visible=True), review_items()
        try:
            c = review(agent.db, int(item_id), decision, label or None, intents)
        except AisleError as exc:
            return gr.update(value=f"Not saved: {exc}", visible=True), review_items()
        return gr.update(value=f"#{c.item_id}: {c.status}" + (f" as {c.label}" if c.label else ""), visible=True), review_items()

    def chat_api(message: str, session_id: str) -> dict[str, Any]:
        """Call the agent over HTTP: one message in a session → the reply (text, intent, products, citations, …)."""
        return reply_json(agent.respond(session_id or _new_session(), message or ""))

    # --- layout ----------------------------------------------------------------------------
    with gr.Blocks(title=title, analytics_enabled=False) as demo:
        with gr.Tab("Chat", id="chat"):
            gr.Markdown(f"### {title}\nSearch the catalog, ask about delivery, returns and payments, or check an order (order number + e-mail).")
            session = gr.Textbox(value="", visible=False, elem_id="aisle-session")
            turn_ids = gr.State({})
            pending_turn = gr.State(None)
            banner = gr.HTML("", elem_id="aisle-banner")
            with gr.Row():
                with gr.Column(scale=5):
                    chatbot = gr.Chatbot(height=460, elem_id="aisle-chatbot", feedback_options=("Like", "Dislike"), show_label=False,
                                         placeholder="Hi! Try “red sandals under 500”, “how long does delivery take?” or “where is my order?”")
                    with gr.Row():
                        box = gr.Textbox(placeholder="Type your message…", show_label=False, scale=6, elem_id="aisle-input", max_lines=4)
                        send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="aisle-send")
                    with gr.Row():
                        chips = [gr.Button("", visible=False, size="sm", elem_classes=["aisle-chip-btn"]) for _ in range(CHIPS)]
                    with gr.Row():
                        new_btn = gr.Button("New conversation", size="sm", elem_id="aisle-new")
                    feedback_note = gr.Markdown(visible=False, elem_id="aisle-feedback-note")
                    with gr.Accordion("Wrong answer? Tell me what it was about", open=False):
                        correction = gr.Dropdown(choices=intents, label="This was about", elem_id="aisle-correction")
                        comment = gr.Textbox(label="Comment (optional)", max_lines=2)
                        correct_btn = gr.Button("Send correction", size="sm", elem_id="aisle-correct")
                with gr.Column(scale=4):
                    cards = gr.HTML(render.product_cards(None), elem_id="aisle-cards")
                    cites = gr.HTML("", elem_id="aisle-sources")
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
            queue_df = gr.Dataframe(label="Open handoffs", interactive=False)
            with gr.Row():
                pick = gr.Number(label="Handoff id", precision=0)
                open_btn = gr.Button("Show transcript")
                close_btn = gr.Button("Mark handled")
                reload_btn = gr.Button("Reload queue")
            transcript_html = gr.HTML(render.transcript(None))
        with gr.Tab("Review", id="review"):
            gr.Markdown("Feedback waiting for review (👎 on confident answers, messages before a handoff). Accepted items are used by `aisle retrain`.")
            review_df = gr.Dataframe(label="Pending", interactive=False)
            with gr.Row():
                item = gr.Number(label="Item id", precision=0)
                item_label = gr.Dropdown(choices=intents, label="Label (for accept / relabel)")
            with gr.Row():
                accept_btn = gr.Button("Accept", variant="primary")
                relabel_btn = gr.Button("Relabel")
                reject_btn = gr.Button("Reject", variant="stop")
                reload_review = gr.Button("Collect & reload")
            review_note = gr.Markdown(visible=False)

        outputs = [chatbot, box, session, turn_ids, cards, cites, banner, *chips]
        inputs = [box, chatbot, session, turn_ids]
        box.submit(send, inputs, outputs, trigger_mode="once", api_visibility="private")
        send_btn.click(send, inputs, outputs, trigger_mode="once", api_visibility="private")
        for chip in chips:
            chip.click(send, [chip, chatbot, session, turn_ids], outputs, trigger_mode="once", api_visibility="private")
        new_btn.click(new_conversation, None, [chatbot, session, turn_ids, cards, cites, banner, *chips], api_visibility="private")
        chatbot.like(on_like, [session, turn_ids], [feedback_note, pending_turn], api_visibility="private")
        correct_btn.click(send_correction, [correction, comment, session, pending_turn], [feedback_note], api_visibility="private")
        refresh.click(analytics, [window], [kpi, intents_plot, reasons_plot, unanswered], api_visibility="private")
        window.change(analytics, [window], [kpi, intents_plot, reasons_plot, unanswered], api_visibility="private")
        reload_btn.click(queue, None, [queue_df], api_visibility="private")
        open_btn.click(show_handoff, [pick], [transcript_html], api_visibility="private")
        close_btn.click(close_handoff, [pick], [queue_df, transcript_html], api_visibility="private")
        demo.load(lambda: _new_session(), None, [session], api_visibility="private")
        demo.load(analytics, [window], [kpi, intents_plot, reasons_plot, unanswered], api_visibility="private")
        demo.load(queue, None, [queue_df], api_visibility="private")
        reload_review.click(review_items, None, [review_df], api_visibility="private")
        for btn, decision in ((accept_btn, "accept"), (relabel_btn, "relabel"), (reject_btn, "reject")):
            btn.click(lambda i, lbl, d=decision: decide(i, lbl, d), [item, item_label], [review_note, review_df], api_visibility="private")
        gr.api(chat_api, api_name="chat")
        gr.api(feedback_api, api_name="feedback")
    return demo
