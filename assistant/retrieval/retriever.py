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
from ..index.store import ChunkStore
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


# A filtered dense search is either Chroma's search among the ids that pass, or its search of
# every chunk, over-fetched by the share that passes, filtered after. On 114k chunks the first
# cost 7 ms for 5,000 ids and 17 ms for 20,000; the second 2 ms for 500 and 7 ms for 2,000.
OVERFETCH = 2  # nearest chunks fetched: this many times what a ranking needs, over the share passing
FETCH_LIMIT = 2_000  # nearest chunks fetched, at most, while the ids that pass are few enough to list
ID_FILTER_LIMIT = 20_000  # ids that pass, at most, for a search among them


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
    lexical: LexicalIndex
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
        if not filters:
            return [self.store.query_ids(vector, n), self._sparse(words, n, filters)]
        # filters are the lexical index's arrays (Chroma holds no filter keys: see chunk_metadata)
        count = self.lexical.count(filters)
        if not count:
            return [[], []]
        sparse = self._sparse(words, n, filters)
        total = max(len(self.lexical), count)
        fetch = min(total, -(-n * OVERFETCH * total // count))
        if fetch > FETCH_LIMIT and count <= ID_FILTER_LIMIT:
            return [self.store.query_ids(vector, n, ids=self.lexical.passing(filters)), sparse]
        dense = self.lexical.allowed(self.store.query_ids(vector, fetch), filters)
        if len(dense) < n and fetch < total:  # fewer passed than the share promised: once more, wider
            dense = self.lexical.allowed(self.store.query_ids(vector, min(total, fetch * 4)), filters)
        return [dense[:n], sparse]

    def _sparse(self, words: list[str], n: int, filters: Filters | None) -> list[str]:
        return [cid for cid, _ in self.lexical.search(words, n, filters)]


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
