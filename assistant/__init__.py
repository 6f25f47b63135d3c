"""Question answering over news: every claim with the passage it comes from and the party that made it.

Heavy parts (torch, chromadb, gradio) load on first use, so importing this package is cheap.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["Assistant", "Answer", "Claim", "Source", "Filters", "Settings", "AssistantError"]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .core import Assistant
    from .errors import AssistantError
    from .schema import Answer, Claim, Filters, Source
    from .settings import Settings


def __getattr__(name: str) -> Any:
    if name == "Assistant":
        from .core import Assistant

        return Assistant
    if name in {"Answer", "Claim", "Source", "Filters"}:
        from . import schema

        return getattr(schema, name)
    if name == "Settings":
        from .settings import Settings

        return Settings
    if name == "AssistantError":
        from .errors import AssistantError

        return AssistantError
    raise AttributeError(name)
