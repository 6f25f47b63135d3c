"""Find the passages for a question: Chroma's dense search and BM25, fused by reciprocal rank,
optionally re-ranked by a cross-encoder, then picked for diversity (MMR) so that an answer shows
each party's account rather than five copies of one.

When the question has a timeframe (its time words, or the day it is asked: ``Filters.as_of``),
both searches run again within those days and the two rankings join the fusion with a double
vote: recent news first, older articles still found when nothing recent matches.

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

import numpy as np

from ..embedding.model import Embedder
from ..index.lexical import LexicalIndex
from ..index.store import ChunkStore, where_of
from ..schema import OUTLET, Filters, Passage
from ..text import terms, titled
from .timeframe import timeframe

RRF_K = 60  # the constant of Cormack et al. (2009): damps the head of each ranking
DENSE_W = 0.5  # the offline static model ranks worse than BM25 on news questions: half a vote
TIME_W = 2.0  # the rankings within the question's timeframe: news questions are about their days
PARTY_BONUS = 0.05  # MMR's nudge towards a passage that brings in a party not yet shown


def rrf(rankings: list[list[str]], weights: list[float] | None = None, k: int = RRF_K) -> dict[str, float]:
    """Reciprocal rank fusion of ranked id lists, each list with its weight."""
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights or [1.0] * len(rankings)):
        for rank, item in enumerate(ranking):
            fused[item] = fused.get(item, 0.0) + weight / (k + rank + 1)
    return fused


ID_FILTER_LIMIT = 20_000  # chunks passing a filter, at most, for a dense search over their ids


def mmr(relevance: np.ndarray, vectors: np.ndarray, parties: list[set[str]], k: int, lam: float) -> list[int]:
    """Greedy maximal marginal relevance over unit vectors, with a bonus for a new party."""
    chosen: list[int] = []
    shown: set[str] = set()
    left = list(range(len(relevance)))
    while left and len(chosen) < k:
        best, best_score = left[0], -np.inf
        for i in left:
            redundancy = float(np.max(vectors[chosen] @ vectors[i])) if chosen else 0.0
            score = lam * relevance[i] - (1 - lam) * redundancy + (PARTY_BONUS if parties[i] - shown else 0.0)
            if score > best_score:
                best, best_score = i, score
        chosen.append(best)
        shown |= parties[best]
        left.remove(best)
    return chosen


@dataclass
class Retriever:
    store: ChunkStore
    embedder: Embedder
    lexical: LexicalIndex | None = None
    candidates: int = 50
    mmr_lambda: float = 0.75
    reranker: Any = None  # a sentence-transformers CrossEncoder, when configured

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Passage]:
        n = max(self.candidates, k * 4)
        vector, words = self.embedder.encode([query])[0], terms(query)
        rankings, weights = self._rankings(vector, words, n, filters), [DENSE_W, 1.0]
        frame = timeframe(query, filters.as_of if filters is not None else None)
        narrowed = (filters or Filters()).within(frame) if frame else None
        if narrowed is not None:
            rankings += self._rankings(vector, words, n, narrowed)
            weights += [DENSE_W * TIME_W, TIME_W]
        fused = rrf(rankings, weights)
        pool = sorted(fused, key=fused.__getitem__, reverse=True)[: max(k * 4, 20)]
        passages, vectors = self.store.get(pool)
        if not passages:
            return []
        scores = np.array([fused[p.chunk.id] for p in passages])
        if self.reranker is not None:
            logits = self.reranker.predict([(query, titled(p.title, p.chunk.text)) for p in passages])
            scores = 1.0 / (1.0 + np.exp(-np.asarray(logits, dtype=np.float64)))
        relevance = (scores - scores.min()) / (np.ptp(scores) or 1.0)
        parties = [{a.party for s in p.chunk.sentences for a in s.attributions} - {OUTLET} for p in passages]
        order = mmr(relevance, _unit(vectors), parties, k, self.mmr_lambda)
        return [replace(passages[i], score=float(scores[i])) for i in order]


    def _rankings(self, vector: np.ndarray, words: list[str], n: int, filters: Filters | None) -> list[list[str]]:
        """The dense and the BM25 ranking of chunk ids within ``filters``."""
        # Chroma filtering its metadata costs far more than searching a list of ids (0.17 s against
        # 0.01 s for a fortnight of 100k chunks), so the lexical index's arrays name the chunks
        # that pass, unless too many do
        allowed = self.lexical.passing(filters, ID_FILTER_LIMIT) if filters and self.lexical is not None else None
        if allowed is not None and not allowed:
            return [[], []]
        dense = self.store.query_ids(vector, n, where_of(filters) if allowed is None else None, ids=allowed)
        sparse = [cid for cid, _ in self.lexical.search(words, n, filters)] if self.lexical else []
        return [dense, sparse]


def _unit(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def load_reranker(name: str, cache_dir: Any) -> Any:
    """The cross-encoder ``name``; a ``ModelUnavailableError`` naming ASSISTANT_RERANKER_MODEL
    when it cannot be had (offline, no cached copy)."""
    from pathlib import Path

    from sentence_transformers import CrossEncoder

    from ..embedding.model import load_hub_model

    return load_hub_model(CrossEncoder, name, Path(cache_dir).expanduser(), "ASSISTANT_RERANKER_MODEL")
