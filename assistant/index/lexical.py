"""BM25 over the chunks, persisted beside the dense index and kept in step with it, in segments.

New chunks collect in memory until ``SEGMENT_CHUNKS`` of them are written as one bm25s segment
(``segment.py``); deleting an article marks its chunks dead. ``commit`` seals what is left,
merges small or mostly-dead segments, and records the segments and the dense index's digest in
``manifest.json``. So an ingest holds at most one segment's terms in memory whatever the corpus
size, an unchanged corpus costs nothing, and a query memory-maps the segments instead of reading
the whole corpus back. A digest that no longer matches the dense index (an index built before
this layout, another process writing to a Chroma server) makes the ingest rebuild the lexical
index from the chunks stored in Chroma.

Example:
    >>> import tempfile
    >>> lex = LexicalIndex(tempfile.mkdtemp())
    >>> lex.replace({"a"}, [("a::0", ["ganja", "missil"], {"article_id": "a"})]); lex.commit("d1")
    >>> [hit[0] for hit in lex.search(["missil"], k=3)]
    ['a::0']
"""
from __future__ import annotations

import json
import shutil
import sys
import uuid
from collections import Counter
from collections.abc import Iterable, Iterator
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np

from ..schema import Filters
from .segment import KEEP, Segment

LAYOUT = 4  # 2 was one bm25s index over the whole corpus, re-fitted on every change; 3 had no id lookup
SEGMENT_CHUNKS = 100_000  # chunks per segment: bounds an ingest's memory for BM25
SMALL_SEGMENTS = 4  # more segments under half that size than this are merged into one


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
        self._segments: list[Segment] = []
        self._dead_files: dict[str, str] = {}  # segment folder name -> its saved dead-rows file
        self._digest: str | None = None
        # chunks not yet in a segment: id -> (terms, metadata), and article -> its chunk ids
        self._open: dict[str, tuple[list[str], dict[str, Any]]] = {}
        self._open_articles: dict[str, list[str]] = {}
        self._loaded = False

    # ------------------------------------------------------------------ state on disk

    def _load(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        path = self.folder / "manifest.json"
        if not path.exists():
            return
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
            if manifest.get("layout") != LAYOUT:
                return  # an older layout: the digest check rebuilds it
            segments = []
            for entry in manifest["segments"]:
                dead = np.load(self.folder / entry["name"] / entry["dead"]) if entry.get("dead") else None
                segments.append(Segment(self.folder / entry["name"], dead))
                if entry.get("dead"):
                    self._dead_files[entry["name"]] = entry["dead"]
            self._segments, self._digest = segments, manifest["digest"]
        except (OSError, ValueError, KeyError, TypeError):
            self._segments, self._digest = [], None  # unreadable: the digest check rebuilds it

    def reload(self) -> None:
        """Forget what was read, so the next call reads the index on disk again."""
        self.__init__(self.folder)

    @property
    def digest(self) -> str | None:
        self._load()
        return self._digest

    def ids(self) -> set[str]:
        """The chunk ids the lexical index holds."""
        self._load()
        return set(chain(self._open, *(seg.live_ids() for seg in self._segments)))

    def __len__(self) -> int:
        self._load()
        return len(self._open) + sum(seg.live for seg in self._segments)

    def replace(self, article_ids: Iterable[str], chunks: Iterable[tuple[str, list[str], dict[str, Any]]]) -> None:
        """Drop every chunk of ``article_ids``, then add ``chunks`` as (id, terms, metadata).
        Until the next ``commit`` the index matches no digest (so that commit is never skipped)."""
        self._load()
        self._digest = None
        gone = set(article_ids)
        if gone:
            for seg in self._segments:
                if seg.kill_articles(gone):
                    self._dead_files.pop(seg.folder.name, None)  # changed: saved again on commit
            for article in gone & self._open_articles.keys():
                for chunk_id in self._open_articles.pop(article):
                    self._open.pop(chunk_id, None)
        for chunk_id, words, meta in chunks:
            keep = {k: meta[k] for k in KEEP if meta.get(k) is not None}
            self._open[chunk_id] = (_interned(words), keep)
            self._open_articles.setdefault(keep.get("article_id", ""), []).append(chunk_id)
            if len(self._open) >= SEGMENT_CHUNKS:
                self._seal()

    def clear(self) -> None:
        self._load()
        self._segments, self._dead_files, self._open, self._open_articles = [], {}, {}, {}
        self._digest = None

    def commit(self, digest: str) -> None:
        """Seal the chunks still in memory, merge small or mostly-dead segments, and record the
        segments with ``digest`` (the dense index's) in the manifest."""
        self._load()
        self._seal()
        self._compact()
        self._digest = digest
        entries = []
        for seg in self._segments:
            name = seg.folder.name
            if seg.dead.any() and name not in self._dead_files:
                self._dead_files[name] = f"dead-{uuid.uuid4().hex[:8]}.npy"
                np.save(seg.folder / self._dead_files[name], seg.dead)
            entries.append({"name": name, "dead": self._dead_files.get(name)})
        tmp = self.folder / "manifest.json.tmp"
        tmp.write_text(json.dumps({"layout": LAYOUT, "digest": digest, "segments": entries}), encoding="utf-8")
        tmp.replace(self.folder / "manifest.json")
        self._sweep(entries)

    def _new_segment(self, docs: Iterable[tuple[str, list[str], dict[str, Any]]]) -> Segment:
        return Segment.write(self.folder / f"seg-{uuid.uuid4().hex[:12]}", docs)

    def _seal(self) -> None:
        if self._open:
            self._segments.append(self._new_segment((cid, w, m) for cid, (w, m) in self._open.items()))
            self._open, self._open_articles = {}, {}

    def _compact(self) -> None:
        """Merge the small and the mostly-dead segments into full ones, reading their live chunks
        back from disk a segment's worth at a time."""
        small = [s for s in self._segments if s.live < SEGMENT_CHUNKS // 2 or 2 * s.live < s.rows]
        mostly_dead = any(2 * s.live < s.rows for s in small)
        if len(small) <= SMALL_SEGMENTS and not mostly_dead:
            return
        keep = [s for s in self._segments if s not in small]
        docs: Iterator = chain.from_iterable(s.docs() for s in small)
        while True:
            batch = list(islice(docs, SEGMENT_CHUNKS))
            if not batch:
                break
            keep.append(self._new_segment(batch))
        for seg in small:
            self._dead_files.pop(seg.folder.name, None)
        self._segments = keep

    def _sweep(self, entries: list[dict[str, Any]]) -> None:
        """Remove what the manifest no longer names: merged segments, old dead-row files, and the
        files of an older layout."""
        named = {e["name"]: e.get("dead") for e in entries}
        for path in self.folder.iterdir():
            if path.name in named:
                for old in path.glob("dead-*.npy"):
                    if old.name != named[path.name]:
                        old.unlink(missing_ok=True)
            elif path.name != "manifest.json":
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)

    # ------------------------------------------------------------------ search

    def count(self, filters: Filters | None) -> int:
        """How many live chunks pass ``filters`` (array masks only, no scoring)."""
        self._load()
        return sum(int(seg.mask(filters).sum()) for seg in self._segments)

    def passing(self, filters: Filters | None) -> list[str]:
        """The ids of the live chunks that pass ``filters``."""
        self._load()
        return [str(seg.ids[row]) for seg in self._segments for row in np.flatnonzero(seg.mask(filters))]

    def allowed(self, ids: list[str], filters: Filters | None) -> list[str]:
        """Those of ``ids`` that are live chunks passing ``filters``, in their order."""
        self._load()
        keep = np.zeros(len(ids), dtype=bool)
        for seg in self._segments:
            rows = seg.rows_of(ids)
            found = rows >= 0
            if found.any():
                keep[found] |= seg.mask(filters)[rows[found]]  # a re-ingested chunk is dead in an older segment
        return [i for i, ok in zip(ids, keep) if ok]

    def search(self, query_terms: list[str], k: int, filters: Filters | None = None) -> list[tuple[str, float]]:
        """The ``k`` best chunks for ``query_terms`` as (chunk id, BM25 score), score > 0 only."""
        try:
            return self._search(query_terms, k, filters)
        except OSError:  # another process merged segments away since this one read the manifest
            self.reload()
            return self._search(query_terms, k, filters)

    def _search(self, query_terms: list[str], k: int, filters: Filters | None) -> list[tuple[str, float]]:
        self._load()
        if not self._segments or not query_terms or k <= 0:
            return []
        weights = Counter(query_terms)
        # idf over every segment (dead rows included until a merge drops them, as Lucene does)
        rows = sum(seg.rows for seg in self._segments)
        df = {t: sum(seg.df(t) for seg in self._segments) for t in weights}
        hits: list[tuple[str, float]] = []
        for seg in self._segments:
            scores = seg.score(weights, rows, df)
            found, best = seg.top(scores, k, seg.mask(filters))
            hits.extend((str(seg.ids[r]), float(s)) for r, s in zip(found, best))
        hits.sort(key=lambda hit: -hit[1])
        return hits[:k]
