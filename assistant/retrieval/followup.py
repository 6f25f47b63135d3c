"""Carry a conversation's names into a follow-up question for retrieval (no model needed).

A follow-up such as "What did he say next?" names nobody; the earlier turns do. Names are the
capitalised words of the earlier questions and the speakers of the earlier answers' claims.

Example:
    >>> contextualize("What did he say next?", [("What did Hajiyev say about Ganja?", "...")])
    'What did he say next? Hajiyev Ganja'
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

_ANAPHORA = re.compile(r"\b(he|she|they|it|his|her|their|them|him|its|this|that|these|those|there|then|next|else|"
                       r"other|same|also|too|again)\b", re.I)
_NAME = re.compile(r"\b[A-Z][\w’'-]+(?:\s+[A-Z][\w’'-]+)*")
_QUESTION_WORDS = {"What", "Who", "When", "Where", "Why", "How", "Which", "Did", "Does", "Do", "Is", "Are", "Was",
                   "Were", "Can", "Could", "Would", "Will", "And", "But", "The", "A", "An", "In", "On", "Tell", "According"}


def turn_parts(turn: Any) -> tuple[str, Any]:
    """(question, answer) of a history turn: a pair, or a dict with question/answer keys."""
    if isinstance(turn, dict):
        return str(turn.get("question", "")), turn.get("answer")
    q, a = turn
    return str(q), a


def _names(text: str) -> list[str]:
    out = []
    for m in _NAME.finditer(text):
        words = [w for w in m.group(0).split() if w not in _QUESTION_WORDS]
        if words:
            out.append(" ".join(words))
    return out


def _speakers(answer: Any) -> list[str]:
    claims = getattr(answer, "claims", None)
    if claims is None and isinstance(answer, dict):
        claims = answer.get("claims")
    out = []
    for c in claims or []:
        speaker = c.get("speaker") if isinstance(c, dict) else getattr(c, "speaker", None)
        if speaker:
            out.append(speaker)
    return out


def contextualize(question: str, history: Sequence[Any] | None) -> str:
    """``question`` plus the names of the last turns, when it leans on them."""
    if not history:
        return question
    own = _names(question)
    if own and not _ANAPHORA.search(question):
        return question  # a question that names its own subject starts a new topic
    extra: list[str] = []
    for turn in list(history)[-2:][::-1]:
        q, a = turn_parts(turn)
        for name in _names(q) + _speakers(a)[:2]:
            if name not in extra and name not in question:
                extra.append(name)
    return " ".join([question] + extra) if extra else question
