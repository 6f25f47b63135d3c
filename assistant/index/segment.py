"""One immutable segment of the lexical index: a bm25s index over a bounded slice of the chunks,
with the filter fields as arrays, all memory-mapped from its folder.

A segment is written once (``Segment.write``) and then only read; deleting a chunk marks it dead
in a separate array rather than rewriting the segment. Scores are bm25s's precomputed ones with
each query term re-weighted from the segment's idf to the whole index's (``score``), so segments
of one index rank as a single BM25 over all of them would, up to their average chunk lengths.

Example:
    >>> import tempfile
    >>> seg = Segment.write(tempfile.mkdtemp(), [("a::0", ["ganja", "missil"], {"article_id": "a"}),
    ...                                          ("b::0", ["truce"], {"article_id": "b"})])
    >>> seg.rows, seg.df("missil")
    (2, 1)
    >>> rows, scores = seg.top(seg.score({"missil": 1.0}), k=1)
    >>> str(seg.ids[rows[0]])
    'a::0'
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from ..schema import Filters, day_number

# Only what filters read: the rest of a chunk's metadata stays in Chroma.
KEEP = ("article_id", "source", "published_day", "parties")
EMPTY = "\u2400"  # an empty chunk would give bm25s an empty row; a placeholder term keeps shapes right


def lucene_idf(df: int | np.ndarray, n: int) -> float | np.ndarray:
    """bm25s's default ("lucene") idf, which its precomputed scores carry."""
    return np.log(1 + (n - df + 0.5) / (df + 0.5))


class Segment:
    def __init__(self, folder: str | Path, dead: np.ndarray | None = None):
        self.folder = Path(folder)
        self._bm25: Any = None
        self.ids = np.load(self.folder / "ids.npy", mmap_mode="r")
        self.rows = len(self.ids)
        self.dead = dead if dead is not None else np.zeros(self.rows, dtype=bool)
        self._arrays: dict[str, np.ndarray] = {}
        self._parties: dict[str, list[int]] | None = None
        self._article_set: set[str] | None = None

    # ------------------------------------------------------------------ writing

    @classmethod
    def write(cls, folder: str | Path, docs: Iterable[tuple[str, list[str], dict[str, Any]]]) -> "Segment":
        """A new segment in ``folder`` from (chunk id, terms, metadata) triples."""
        import bm25s

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        ids, corpus, articles, sources, days = [], [], [], [], []
        parties: dict[str, list[int]] = {}
        # the terms go to disk as they come, for a later merge or rewrite to read back (orjson: the
        # standard library's encoder took as long as building the BM25 index)
        with (folder / "docs.jsonl").open("wb") as fh:
            for row, (chunk_id, words, meta) in enumerate(docs):
                keep = {k: meta[k] for k in KEEP if meta.get(k) is not None}
                fh.write(orjson.dumps([chunk_id, words, keep]) + b"\n")
                ids.append(chunk_id)
                corpus.append(words or [EMPTY])
                articles.append(keep.get("article_id", ""))
                sources.append(keep.get("source", ""))
                days.append(keep.get("published_day", np.nan))
                for party in keep.get("parties") or ():
                    parties.setdefault(party, []).append(row)
        bm25 = bm25s.BM25()
        bm25.index(corpus, show_progress=False)
        del corpus
        bm25.save(str(folder / "bm25"), show_progress=False)
        id_array = np.array(ids, dtype=str)
        order = np.argsort(id_array, kind="stable")
        np.save(folder / "ids.npy", id_array)
        np.save(folder / "sorted_ids.npy", id_array[order])  # with order.npy: a chunk's row by its id
        np.save(folder / "order.npy", order)
        np.save(folder / "articles.npy", np.array(articles, dtype=str))
        np.save(folder / "sources.npy", np.array(sources, dtype=str))
        np.save(folder / "days.npy", np.array(days, dtype=np.float64))
        (folder / "parties.json").write_text(json.dumps(parties), encoding="utf-8")
        return cls(folder)

    def docs(self) -> Iterator[tuple[str, list[str], dict[str, Any]]]:
        """The live chunks as written: what a merge or rewrite builds the next segment from."""
        with (self.folder / "docs.jsonl").open("rb") as fh:
            for row, line in enumerate(fh):
                if not self.dead[row]:
                    chunk_id, words, meta = orjson.loads(line)
                    yield chunk_id, words, meta

    # ------------------------------------------------------------------ state

    @property
    def bm25(self) -> Any:
        """The bm25s index, memory-mapped when first searched: an ingest that only checks the
        lexical index against the dense one never loads it (nor imports bm25s)."""
        if self._bm25 is None:
            import bm25s

            self._bm25 = bm25s.BM25.load(str(self.folder / "bm25"), mmap=True, show_progress=False)
        return self._bm25

    def _array(self, name: str) -> np.ndarray:
        if name not in self._arrays:
            self._arrays[name] = np.load(self.folder / f"{name}.npy", mmap_mode="r")
        return self._arrays[name]

    @property
    def live(self) -> int:
        return self.rows - int(self.dead.sum())

    def article_ids(self) -> set[str]:
        """The articles with chunks in this segment (kept in memory once asked: a set per
        segment of article ids, not of chunks)."""
        if self._article_set is None:
            self._article_set = set(self._array("articles").tolist())
        return self._article_set

    def kill_articles(self, gone: set[str]) -> int:
        """Mark every chunk of the articles in ``gone`` dead; how many were marked."""
        hit = gone & self.article_ids()
        if not hit:
            return 0
        rows = np.isin(self._array("articles"), list(hit)) & ~self.dead
        self.dead = self.dead | rows  # a copy: the previous array may still be a saved one
        return int(rows.sum())

    def rows_of(self, ids: list[str]) -> np.ndarray:
        """The row of each of ``ids`` in this segment, -1 where it has none (dead rows included)."""
        if not ids or not self.rows:
            return np.full(len(ids), -1)
        keys, order = self._array("sorted_ids"), self._array("order")
        wanted = np.array(ids, dtype=str)
        at = np.minimum(np.searchsorted(keys, wanted), self.rows - 1)
        return np.where(keys[at] == wanted, order[at], -1)

    def live_ids(self) -> Iterator[str]:
        for row in np.flatnonzero(~self.dead):
            yield str(self.ids[row])

    # ------------------------------------------------------------------ search

    def df(self, term: str) -> int:
        """How many of this segment's chunks hold ``term`` (dead ones included, as in the idf)."""
        tid = self.bm25.vocab_dict.get(term)
        if tid is None:
            return 0
        indptr = self.bm25.scores["indptr"]
        return int(indptr[tid + 1] - indptr[tid])

    def score(self, weights: dict[str, float], total_rows: int | None = None,
              total_df: dict[str, int] | None = None) -> np.ndarray:
        """Each row's BM25 score for the query terms (``weights``: term -> how often it is in the
        query), with each term's idf taken over ``total_rows``/``total_df`` (the whole index)
        instead of this segment alone."""
        scores = self.bm25.scores
        indptr, indices, data = scores["indptr"], scores["indices"], scores["data"]
        rows, parts = [], []
        for term, times in weights.items():
            tid = self.bm25.vocab_dict.get(term)
            if tid is None:
                continue
            start, end = int(indptr[tid]), int(indptr[tid + 1])
            if start == end:
                continue
            w = float(times)
            if total_rows is not None and total_df is not None:
                w *= lucene_idf(total_df[term], total_rows) / lucene_idf(end - start, self.rows)
            rows.append(indices[start:end])
            parts.append(data[start:end] * w)
        if not rows:
            return np.zeros(self.rows)
        # one bincount over every term's postings: the rows of one term are distinct
        return np.bincount(np.concatenate(rows), weights=np.concatenate(parts), minlength=self.rows)

    def mask(self, filters: Filters | None) -> np.ndarray:
        """Which rows are live and pass ``filters``, as one boolean array."""
        ok = ~self.dead
        if not filters:
            return ok
        if filters.since or filters.until:
            days = self._array("days")
            with np.errstate(invalid="ignore"):  # an undated chunk (NaN) passes no date bound
                if filters.since:
                    ok &= days >= day_number(filters.since)
                if filters.until:
                    ok &= days <= day_number(filters.until)
        if filters.articles:
            ok &= np.isin(self._array("articles"), list(filters.articles))
        if filters.outlets:
            ok &= np.isin(self._array("sources"), list(filters.outlets))
        if filters.parties:
            if self._parties is None:
                self._parties = json.loads((self.folder / "parties.json").read_text(encoding="utf-8"))
            speaking = np.zeros(self.rows, dtype=bool)
            for party in filters.parties:
                speaking[self._parties.get(party, [])] = True
            ok &= speaking
        return ok

    @staticmethod
    def top(scores: np.ndarray, k: int, mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best rows with a score above 0 (and in ``mask``), best first."""
        ok = scores > 0
        if mask is not None:
            ok &= mask
        rows = np.flatnonzero(ok)
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.argsort(-scores[rows], kind="stable")]
        return rows, scores[rows]

