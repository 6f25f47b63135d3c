"""BM25 over the chunks (bm25s), persisted beside the dense index and kept in step with it.

The chunks' terms and filter metadata are stored on disk; an ingest removes and adds only the
articles that changed, then re-fits BM25 (counting, no re-tokenising) and saves it. Queries load
it once. A digest of the dense index's manifest tells whether the two match; when they do not
(an index built before BM25 existed, another process writing to a Chroma server) the lexical
index is rebuilt from the chunks stored in Chroma.

Example:
    >>> import tempfile
    >>> lex = LexicalIndex(tempfile.mkdtemp())
    >>> lex.replace({"a"}, [("a::0", ["ganja", "missil"], {"article_id": "a"})]); lex.commit("d1")
    >>> [hit[0] for hit in lex.search(["missil"], k=3)]
    ['a::0']
"""
from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from ..schema import Filters, day_number

# Only what filters read: the rest of a chunk's metadata stays in Chroma.
_KEEP = ("article_id", "source", "published_day", "parties")


def _interned(words: Iterable[str]) -> list[str]:
    """The terms as shared strings: a corpus repeats each term thousands of times, and one
    object per occurrence was most of the index's memory."""
    return [sys.intern(w) for w in words]


class LexicalIndex:
    @classmethod
    def for_settings(cls, settings: Any, name: str) -> "LexicalIndex":
        """Beside the Chroma folder; for a Chroma server, a cached copy keyed by its address
        (rebuilt from the server whenever it no longer matches)."""
        if settings.chroma_url:
            import re

            server = re.sub(r"[^\w.-]+", "_", settings.chroma_url)
            return cls(Path(settings.cache_dir).expanduser() / "bm25" / server / name)
        return cls(Path(settings.index_dir).expanduser() / f"{name}-bm25")

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)
        self._docs: dict[str, tuple[list[str], dict[str, Any]]] = {}
        self._digest: str | None = None
        self._bm25 = None
        self._ids: list[str] = []
        self._days: np.ndarray | None = None  # published_day per id, for date filters
        self._loaded = False

    # ------------------------------------------------------------------ state on disk

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        docs = self.folder / "docs.jsonl"
        if not docs.exists():
            return
        try:
            loaded: dict[str, tuple[list[str], dict[str, Any]]] = {}
            with docs.open(encoding="utf-8") as fh:
                digest = json.loads(next(fh))["digest"]
                for line in fh:
                    chunk_id, words, meta = json.loads(line)
                    loaded[chunk_id] = (_interned(words), meta)
            self._docs, self._digest = loaded, digest
        except (OSError, ValueError, KeyError, TypeError, StopIteration):
            self._docs, self._digest = {}, None  # unreadable: the digest check rebuilds it

    @property
    def digest(self) -> str | None:
        self._load()
        return self._digest

    def ids(self) -> set[str]:
        """The chunk ids the lexical index holds."""
        self._load()
        return set(self._docs)

    def __len__(self) -> int:
        self._load()
        return len(self._docs)

    def replace(self, article_ids: Iterable[str], chunks: Iterable[tuple[str, list[str], dict[str, Any]]]) -> None:
        """Drop every chunk of ``article_ids``, then add ``chunks`` as (id, terms, metadata)."""
        self._load()
        gone = set(article_ids)
        if gone:
            self._docs = {k: v for k, v in self._docs.items() if v[1].get("article_id") not in gone}
        for chunk_id, terms, meta in chunks:
            keep = {k: meta[k] for k in _KEEP if meta.get(k) is not None}
            self._docs[chunk_id] = (_interned(terms), keep)
        self._bm25 = None

    def clear(self) -> None:
        self._load()
        self._docs, self._bm25 = {}, None

    def commit(self, digest: str) -> None:
        """Re-fit BM25 and save both the terms and the fitted index."""
        self._load()
        self._digest = digest
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / "docs.jsonl.tmp"
        # a line per chunk: written as it goes, never the whole corpus as one string in memory
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(json.dumps({"digest": digest}) + "\n")
            for chunk_id, (words, meta) in self._docs.items():
                fh.write(json.dumps([chunk_id, words, meta], ensure_ascii=False) + "\n")
        tmp.replace(self.folder / "docs.jsonl")
        self._fit()
        if self._bm25 is not None:
            self._bm25.save(str(self.folder / "bm25"), show_progress=False)
        (self.folder / "ids.json").write_text(json.dumps(self._ids), encoding="utf-8")

    def _fit(self) -> None:
        import bm25s

        self._ids, self._days = sorted(self._docs), None
        if not self._ids:
            self._bm25 = None
            return
        # an empty document would give bm25s an empty row; a placeholder term keeps shapes right
        corpus = [self._docs[i][0] or ["\u2400"] for i in self._ids]
        self._bm25 = bm25s.BM25()
        self._bm25.index(corpus, show_progress=False)

    def _mask(self, filters: Filters) -> np.ndarray:
        """Which chunks (in ``self._ids`` order) pass ``filters``: dates compared as one array (a
        timeframe search runs per question), the rest by ``Filters.allows`` chunk by chunk."""
        ok = np.ones(len(self._ids), dtype=bool)
        if filters.since or filters.until:
            if self._days is None:  # reset whenever the ids change
                self._days = np.array([self._docs[i][1].get("published_day", np.nan) for i in self._ids], dtype=np.float64)
            with np.errstate(invalid="ignore"):  # an undated chunk (NaN) passes no date bound
                if filters.since:
                    ok &= self._days >= day_number(filters.since)
                if filters.until:
                    ok &= self._days <= day_number(filters.until)
        if filters.parties or filters.outlets or filters.articles:
            ok &= np.array([filters.allows(self._docs[i][1]) for i in self._ids], dtype=bool)
        return ok

    def _ready(self):
        self._load()
        if self._bm25 is None and self._docs:
            import bm25s

            saved, ids = self.folder / "bm25", self.folder / "ids.json"
            try:
                loaded_ids = json.loads(ids.read_text(encoding="utf-8"))
                if loaded_ids != sorted(self._docs):
                    raise ValueError("stale")
                self._bm25 = bm25s.BM25.load(str(saved), show_progress=False)
                self._ids, self._days = loaded_ids, None
            except (OSError, ValueError):
                self._fit()
        return self._bm25

    # ------------------------------------------------------------------ search

    def search(self, query_terms: list[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query_terms`` as (chunk id, BM25 score), score > 0 only."""
        bm25 = self._ready()
        if bm25 is None or not query_terms:
            return []
        mask = None
        if filters:
            mask = self._mask(filters).astype(np.float32)
            if not mask.any():
                return []
        n = min(k, len(self._ids))
        docs, scores = bm25.retrieve([list(query_terms)], k=n, show_progress=False, weight_mask=mask)
        return [(self._ids[int(d)], float(s)) for d, s in zip(docs[0], scores[0]) if s > 0]
