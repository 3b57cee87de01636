"""Deciding and answering: the dialogue agent, its order store, sessions and feedback log.

``from agent import Agent`` is the public entry point; the import is lazy so that
``import agent`` stays fast (no torch, Chroma or transformers until an agent is built).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.agent import Agent
    from agent.types import Citation, ProductCard, Reply

__all__ = ["Agent", "Citation", "ProductCard", "Reply"]


def __getattr__(name: str) -> Any:
    if name == "Agent":
        from agent.agent import Agent

        return Agent
    if name in ("Reply", "ProductCard", "Citation"):
        from agent import types

        return getattr(types, name)
    raise AttributeError(f"module 'agent' has no attribute {name!r}")
