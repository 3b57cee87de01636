"""``aisle chat`` (terminal REPL over ``Agent.respond``), ``aisle handoffs``, ``aisle serve``."""

from __future__ import annotations

import argparse
import uuid
from typing import TYPE_CHECKING

from aisle.cli._common import money, print_json

if TYPE_CHECKING:
    from agent.types import Reply
    from aisle.settings import Settings

HELP = "commands: /new (new conversation)  /good  /bad [intent]  (rate the last answer)  /why  /quit"


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("chat", help="chat with the agent in the terminal")
    p.add_argument("--session", help="session id to resume (default: a new one)")
    p.set_defaults(handler=_chat)
    p = sub.add_parser("handoffs", help="the human queue: conversations handed to a person")
    p.add_argument("--all", action="store_true", help="include closed handoffs")
    p.add_argument("--close", type=int, metavar="ID", help="mark a handoff as handled")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_handoffs)
    p = sub.add_parser("serve", help="serve the chat widget and JSON API (and the staff console at /staff, behind a login)")
    p.add_argument("--host", help="bind address (default 127.0.0.1: loopback only)")
    p.add_argument("--port", type=int, help="port (default 7860)")
    p.add_argument(
        "--staff-port",
        type=int,
        metavar="PORT",
        help="serve the staff console only on this port (bound to staff.host, default 127.0.0.1)",
    )
    p.add_argument("--no-staff", action="store_true", help="no staff console in this process")
    p.add_argument("--no-warm-up", action="store_true", help="load models on the first message instead of at start")
    p.set_defaults(handler=_serve)

    from aisle.cli import staff_cmds

    staff_cmds.register(sub)


def render(reply: Reply) -> str:
    lines = [reply.text]
    if reply.citations:
        lines.append("  sources: " + "; ".join(f"{c.title} [{c.id}]" for c in reply.citations))
    if reply.products and not any(p.title.lower()[:20] in reply.text.lower() for p in reply.products):
        lines += [f"  • {p.title} — {money(p.price, p.currency)} ({p.why})" for p in reply.products]
    if reply.handoff:
        lines.append(f"  [handed to a person: {reply.handoff_reason}]")
    return "\n".join(lines)


def _chat(args: argparse.Namespace, settings: Settings) -> int:
    from agent import Agent

    agent = Agent.from_settings(settings=settings)
    print("Loading…")
    agent.warm_up()
    session = args.session or f"cli-{uuid.uuid4().hex[:10]}"
    print(f"Aisle assistant (session {session}). {HELP}")
    last: Reply | None = None
    while True:
        try:
            text = input("you> ")
        except EOFError:
            print()
            return 0
        cmd = text.strip()
        if cmd in ("/quit", "/exit"):
            return 0
        if cmd == "/new":
            session = f"cli-{uuid.uuid4().hex[:10]}"
            print(f"(new conversation {session})")
            continue
        if cmd.startswith(("/good", "/bad")) and last is not None:
            parts = cmd.split()
            agent.feedback(
                session, last.turn_id, 1 if parts[0] == "/good" else -1, correction=parts[1] if len(parts) > 1 else None
            )
            print("(thanks, feedback saved)")
            continue
        if cmd == "/why" and last is not None:
            print(
                f"(intent {last.intent} {last.confidence:.2f}; alternatives {last.top_k}; slots {last.slots}; {last.latency_ms:.0f} ms)"
            )
            continue
        last = agent.respond(session, text)
        print("bot> " + render(last).replace("\n", "\n     "))


def _handoffs(args: argparse.Namespace, settings: Settings) -> int:
    from agent.db import Database
    from agent.handoff import HandoffDesk

    desk = HandoffDesk(Database(settings.db_path))
    if args.close is not None:
        print("closed" if desk.close(args.close) else f"no open handoff {args.close}")
        return 0
    from ui.keys import store_secret
    from ui.sessions import SessionSigner

    reference = SessionSigner(store_secret(settings.home), ttl_s=0).reference  # staff see a reference, never the session id
    items = [{**h, "session_id": reference(h["session_id"])} for h in desk.list(None if args.all else "open")]
    if args.json:
        print_json(items)
        return 0
    if not items:
        print("no open handoffs")
    for h in items:
        print(
            f"#{h['handoff_id']} [{h['status']}] {h['created_at'][:19]} conversation {h['session_id']}: {h['summary']['reason']}"
        )
        for t in h["transcript"][-4:]:
            print(f"    shopper: {t['user'][:100]}")
            print(f"    agent:   {t['agent'][:100]}")
    return 0


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from ui.server import serve

    if args.no_staff:
        settings = settings.model_copy(update={"staff": settings.staff.model_copy(update={"enabled": False})})
    serve(settings, host=args.host, port=args.port, staff_port=args.staff_port, warm_up=not args.no_warm_up)
    return 0
