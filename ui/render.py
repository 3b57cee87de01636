"""HTML for the widget (pure functions): product cards, sources, the handoff banner, KPI tiles.

Everything shown comes from the agent's reply and is HTML-escaped. Product images are a CSS
layer over a placeholder, so a store whose image host is unreachable (offline demo,
broken URL) still shows a neat card without any JavaScript.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

from aisle.formatting import money

if TYPE_CHECKING:
    from agent.analytics import AnalyticsReport
    from agent.types import Reply

CSS = """
.aisle-cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(190px,1fr));gap:12px}
.aisle-card{border:1px solid #e5e7eb;border-radius:12px;overflow:hidden;background:#fff;display:flex;flex-direction:column}
.aisle-img{height:140px;background-size:contain,cover;background-repeat:no-repeat;background-position:center;
  display:flex;align-items:center;justify-content:center;color:#6b7280;font-size:34px;font-weight:600}
.aisle-body{padding:10px 12px;display:flex;flex-direction:column;gap:4px;font-size:13px}
.aisle-title{font-weight:600;font-size:14px;line-height:1.25;color:#111827}
.aisle-price{font-size:16px;font-weight:700;color:#047857}
.aisle-meta{color:#6b7280}
.aisle-why{color:#1d4ed8;font-size:12px}
.aisle-chip{display:inline-block;background:#f3f4f6;border-radius:999px;padding:1px 8px;margin:1px 2px 1px 0;font-size:11px;color:#374151}
.aisle-banner{background:#fef3c7;border:1px solid #f59e0b;border-radius:10px;padding:10px 14px;color:#92400e;font-weight:600}
.aisle-sources details{border:1px solid #e5e7eb;border-radius:8px;padding:6px 10px;margin:4px 0;background:#f9fafb}
.aisle-sources summary{cursor:pointer;font-weight:600}
.aisle-kpis{display:grid;grid-template-columns:repeat(auto-fill,minmax(150px,1fr));gap:10px}
.aisle-kpi{border:1px solid #e5e7eb;border-radius:10px;padding:10px 12px;background:#fff}
.aisle-kpi b{display:block;font-size:22px;color:#111827}
.aisle-kpi span{color:#6b7280;font-size:12px}
.aisle-empty{color:#6b7280;font-style:italic}
.aisle-new-form{margin:0}
.aisle-new-btn{border:1px solid #d1d5db;border-radius:8px;background:#fff;padding:4px 12px;font-size:13px;cursor:pointer}
"""

PALETTE = ("#fde68a", "#bfdbfe", "#c7d2fe", "#fbcfe8", "#bbf7d0", "#fed7aa", "#e9d5ff", "#99f6e4")


def _placeholder(title: str) -> tuple[str, str]:
    initials = "".join(w[0] for w in title.split()[:2]).upper() or "?"
    return initials, PALETTE[sum(map(ord, title)) % len(PALETTE)]


def product_cards(reply: Reply | None) -> str:
    if reply is None or not reply.products:
        return '<div class="aisle-empty">Products I show will appear here.</div>'
    from agent.composer import display_title

    cards = []
    for p in reply.products:
        initials, colour = _placeholder(p.title)
        image = (
            f"url('{escape(p.image_url, quote=True)}'), "
            if p.image_url and p.image_url.startswith(("http://", "https://"))
            else ""
        )
        chips = "".join(f'<span class="aisle-chip">{escape(str(v))[:30]}</span>' for v in list(p.attributes.values())[:3])
        title = escape(display_title(p.title))
        link = f'<a href="{escape(p.url, quote=True)}" target="_blank" rel="noopener">{title}</a>' if p.url else title
        cards.append(
            f'<div class="aisle-card" data-product-id="{escape(p.id, quote=True)}" data-price="{p.price if p.price is not None else ""}">'
            f'<div class="aisle-img" style="background-image:{image}linear-gradient({colour},{colour})">{"" if image else escape(initials)}</div>'
            f'<div class="aisle-body"><div class="aisle-title">{link}</div>'
            f'<div class="aisle-price">{money(p.price, p.currency)}</div>'
            f'<div class="aisle-meta">{escape((p.brand or "").title())}</div><div>{chips}</div>'
            f'<div class="aisle-why">Why: {escape(p.why)}</div></div></div>'
        )
    return '<div class="aisle-cards">' + "".join(cards) + "</div>"


def sources(reply: Reply | None) -> str:
    if reply is None or not reply.citations:
        return ""
    items = "".join(
        f'<details data-citation-id="{escape(c.id, quote=True)}"><summary>Source: {escape(c.title)}</summary><div>{escape(c.snippet)}…</div></details>'
        for c in reply.citations
    )
    return f'<div class="aisle-sources">{items}</div>'


def handoff_banner(reply: Reply | None) -> str:
    if reply is None or not reply.handoff:
        return ""
    from agent.handoff import REASONS

    reason = REASONS.get(reply.handoff_reason or "", reply.handoff_reason or "")
    return f'<div class="aisle-banner" id="aisle-handoff">👤 Passed to a human colleague ({escape(reason)}). They will reply here, 9 am – 9 pm IST.</div>'


def kpis(r: AnalyticsReport) -> str:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{x:.0%}"

    def ms(x: float | None) -> str:
        return "–" if x is None else f"{x:.0f} ms"

    tiles = [
        ("conversations", str(r.conversations)),
        ("turns", str(r.turns)),
        ("deflection rate", pct(r.deflection_rate)),
        ("handoffs", str(r.handoffs)),
        ("low-confidence turns", pct(r.low_confidence_rate)),
        ("thumbs up / down", f"{r.thumbs_up} / {r.thumbs_down}"),
        ("thumbs-up share", pct(r.thumbs_up_ratio)),
        ("latency p50", ms(r.latency_p50_ms)),
        ("latency p95", ms(r.latency_p95_ms)),
    ]
    body = "".join(
        f'<div class="aisle-kpi" data-kpi="{escape(k)}"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for k, v in tiles
    )
    return f'<div class="aisle-kpis">{body}</div>'


def transcript(handoff: dict[str, Any] | None) -> str:
    if not handoff:
        return '<div class="aisle-empty">Pick a handoff to read its (redacted) transcript.</div>'
    s = handoff["summary"]
    head = f"<p><b>#{handoff['handoff_id']}</b> · {escape(s.get('reason', ''))} · intents: {escape(', '.join(s.get('intents', [])))}</p>"
    rows = "".join(
        f"<p><b>Shopper:</b> {escape(t['user'])}<br><b>Assistant:</b> {escape(t['agent'])}</p>" for t in handoff["transcript"]
    )
    return head + rows
