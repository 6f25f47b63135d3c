"""Find the passages for a question: Chroma's dense search, re-scored with the question's
key terms so that a passage naming what was asked outranks a merely similar one.

Example:
    >>> from assistant import Assistant
    >>> a = Assistant(corpus="corpus")
    >>> _ = a.ingest()
    >>> a.retriever.retrieve("civilians killed in Ganja", k=1)[0].chunk.article_id
    '5955795cbc8a8a5d'
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from ..embedding.model import Embedder
from ..index.store import ChunkStore
from ..schema import Passage
from ..text import terms

DENSE_WEIGHT = 0.5


def coverage(query_terms: set[str], text: str) -> float:
    """Share of the query's key terms that occur in ``text``."""
    if not query_terms:
        return 0.0
    return len(query_terms & set(terms(text))) / len(query_terms)


@dataclass
class Retriever:
    store: ChunkStore
    embedder: Embedder
    candidates: int = 30

    def retrieve(self, query: str, k: int = 5, where: dict[str, Any] | None = None) -> list[Passage]:
        vector = self.embedder.encode([query])[0]
        found = self.store.query(vector, max(self.candidates, k * 4), where)
        q = set(terms(query))
        rescored = [
            replace(p, score=DENSE_WEIGHT * p.score + (1 - DENSE_WEIGHT) * coverage(q, f"{p.title}\n{p.chunk.text}"))
            for p in found
        ]
        rescored.sort(key=lambda p: p.score, reverse=True)
        return rescored[:k]
