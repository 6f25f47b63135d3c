"""Condense a follow-up and its conversation into a standalone question with a language model.

The prompt is ``prompts/condense.md`` (``{history}`` and ``{question}`` filled in). Without a
model, :func:`assistant.retrieval.followup.contextualize` carries the names instead.

Example:
    >>> from langchain_core.language_models.fake_chat_models import FakeListChatModel
    >>> llm = FakeListChatModel(responses=["What did Hikmet Hajiyev say about Ganja?"])
    >>> from assistant.prompts import load_prompt
    >>> condense_with_llm(llm, "What did he say?", [("Who is Hikmet Hajiyev?", "An aide.")], load_prompt("condense"))
    'What did Hikmet Hajiyev say about Ganja?'
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..prompts import fill
from .followup import turn_parts

_MAX_QUERY = 500  # a model that rambles does not get to flood retrieval


def _answer_text(answer: Any) -> str:
    if answer is None:
        return ""
    if isinstance(answer, dict):
        return str(answer.get("answer", ""))
    return str(getattr(answer, "answer", answer))


def condense_with_llm(llm: Any, question: str, history: Sequence[Any], prompt: str) -> str:
    """The model's standalone version of ``question``; the question itself if the reply is empty."""
    lines = []
    for turn in list(history)[-4:]:
        q, a = turn_parts(turn)
        lines.append(f"User: {q}\nAssistant: {_answer_text(a)[:800]}")
    reply = llm.invoke(fill(prompt, history="\n".join(lines), question=question))
    text = str(getattr(reply, "content", reply)).strip().splitlines()
    standalone = text[0].strip().strip('"') if text else ""
    return standalone[:_MAX_QUERY] if standalone else question
