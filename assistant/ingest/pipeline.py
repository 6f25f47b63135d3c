"""Ingest a corpus folder into the index, incrementally.

Articles stream from the loader one at a time; each new or changed one is split into
sentences, attributed and chunked, then embedded and written in batches of about
``batch_size`` chunks. An unchanged article (same fingerprint in the manifest) costs no
embedding work; an article whose file is gone is removed; a file that fails to load keeps
what the index already had of it.

Example:
    >>> import tempfile
    >>> from assistant.settings import Settings
    >>> from assistant.attribution.parties import PartyRegistry
    >>> from assistant.embedding.model import load_embedder
    >>> from assistant.index.store import ChunkStore
    >>> s = Settings(index_dir=tempfile.mkdtemp())
    >>> emb = load_embedder(s)
    >>> store = ChunkStore.open(s, "doc", emb.name, emb.dimension)
    >>> run_ingest(s, store, emb, PartyRegistry.load(s.corpus)).added
    1
"""
from __future__ import annotations

import os
import time
from collections import deque
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

from ..attribution.engine import attribute_article
from ..attribution.parties import PartyRegistry
from ..embedding.model import Embedder
from ..index.lexical import LexicalIndex
from ..index.store import ChunkStore, chunk_metadata, filter_fields, fingerprint, manifest_digest
from ..text import terms, titled
from ..schema import Article, Chunk, IngestReport, LoadIssue, Prepared
from ..settings import Settings
from .chunker import chunk_article
from .loader import iter_corpus

PIPELINE_VERSION = "2"
INLINE_ARTICLES = 32  # a small ingest is not worth starting worker processes for
WINDOW_PER_WORKER = 8  # articles in flight per worker, at least
CHUNKS_PER_ARTICLE = 12  # about, in news: sizes the window to cover a write


def prepare(article: Article, settings: Settings, registry: PartyRegistry) -> list[Chunk]:
    """Sentences with attributions, grouped into chunks."""
    sentences = attribute_article(article.text, registry)
    return chunk_article(article, sentences, settings.chunk_size, settings.chunk_overlap)


def prepare_for_index(article: Article, fp: str, existed: bool, settings: Settings, registry: PartyRegistry) -> Prepared:
    chunks = prepare(article, settings, registry)
    texts = [embedding_text(article, c) for c in chunks]
    fields = [filter_fields(article, c) for c in chunks]
    return Prepared(article, fp, existed, chunks, texts, [chunk_metadata(article, c, fp, f) for c, f in zip(chunks, fields)],
                    fields, [terms(t) for t in texts])


def prepared(
    articles: Iterable[tuple[Article, str, bool]], settings: Settings, registry: PartyRegistry
) -> Iterator[Prepared]:
    """Each (article, fingerprint, existed), prepared, in order. Past the first few articles this
    runs in worker processes (ASSISTANT_INGEST_WORKERS) while this process embeds and writes the
    previous batch; a window of about two batches' worth of articles is in flight, so the workers
    keep busy through a write and memory stays bounded by the batch, not the corpus."""
    window: deque = deque()
    in_flight = max(WINDOW_PER_WORKER * settings.ingest_workers, 2 * settings.batch_size // CHUNKS_PER_ARTICLE)
    pool = None
    try:
        for n, (article, fp, existed) in enumerate(articles):
            if pool is None and settings.ingest_workers and n >= INLINE_ARTICLES:
                from concurrent.futures import ProcessPoolExecutor
                from multiprocessing import get_context

                # spawn: a forked copy of a process holding torch's threads is not safe
                pool = ProcessPoolExecutor(settings.ingest_workers, mp_context=get_context("spawn"),
                                           initializer=_die_with_parent, initargs=(os.getpid(),))
            if pool is None:
                yield prepare_for_index(article, fp, existed, settings, registry)
                continue
            window.append(pool.submit(prepare_for_index, article, fp, existed, settings, registry))
            if len(window) >= in_flight:
                yield window.popleft().result()
        while window:
            yield window.popleft().result()
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _die_with_parent(parent: int) -> None:
    """A worker ends when the ingest that started it is killed, instead of running on alone."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # killed while this worker was starting
        os._exit(1)


def embedding_text(article: Article, chunk: Chunk) -> str:
    return titled(article.title, chunk.text)


def run_ingest(
    settings: Settings, store: ChunkStore, embedder: Embedder, registry: PartyRegistry, progress: bool = False,
    lexical: LexicalIndex | None = None,
) -> IngestReport:
    started = time.perf_counter()
    extra = f"{PIPELINE_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}|{registry.fingerprint()}"
    manifest = store.manifest()
    # the lexical index follows the dense one article by article while both held the same (or
    # nothing yet: a first ingest does not read every chunk back to build BM25)
    in_step = lexical is not None and (lexical.digest == manifest_digest(manifest) or not manifest)
    if in_step and not manifest:
        lexical.clear()
    seen: set[str] = set()
    failed_paths: set[str] = set()
    issues: list[LoadIssue] = []
    counts = {"added": 0, "updated": 0, "unchanged": 0, "chunks": 0}
    pending: list[Prepared] = []
    pending_chunks = 0

    def flush() -> None:
        nonlocal pending, pending_chunks
        if not pending:
            return
        texts = [t for p in pending for t in p.texts]
        vectors = embedder.encode(texts, batch_size=settings.batch_size)
        replacing = {p.article.id for p in pending if p.article.id in manifest}
        store.write([(p.article, p.fingerprint, p.chunks) for p in pending], vectors, replacing,
                    [m for p in pending for m in p.metadatas])
        if in_step:
            lexical.replace({p.article.id for p in pending},
                            ((c.id, words, f) for p in pending for c, words, f in zip(p.chunks, p.terms, p.fields)))
        counts["chunks"] += len(texts)
        pending, pending_chunks = [], 0

    bar = None
    if progress:
        from tqdm import tqdm

        bar = tqdm(unit=" articles", desc="ingest", leave=False)

    def changed() -> Iterator[tuple[Article, str, bool]]:
        """The articles that need indexing, with their fingerprint and whether they were indexed."""
        for item in iter_corpus(Path(settings.corpus), settings.max_article_chars):
            if isinstance(item, LoadIssue):
                issues.append(item)
                if item.level == "error":
                    failed_paths.add(item.path.split(":")[0].split("[")[0])
                continue
            if bar is not None:
                bar.update(1)
            if item.id in seen:
                issues.append(LoadIssue(item.path or item.id, f"duplicate article id {item.id!r}; the first file with it was kept, give this one another id"))
                continue
            seen.add(item.id)
            fp = fingerprint(item, extra)
            old = manifest.get(item.id)
            if old is not None and old.fingerprint == fp:
                counts["unchanged"] += 1
                continue
            yield item, fp, old is not None

    for item in prepared(changed(), settings, registry):
        if not item.chunks:
            issues.append(LoadIssue(item.article.path or item.article.id, "article has no sentences to index"))
            continue
        counts["updated" if item.existed else "added"] += 1
        pending.append(item)
        pending_chunks += len(item.chunks)
        if pending_chunks >= settings.batch_size:
            flush()
    flush()
    if bar is not None:
        bar.close()
    gone = [aid for aid, entry in manifest.items() if aid not in seen and entry.path not in failed_paths]
    if gone:
        store.delete_articles(gone)
        if in_step:
            lexical.replace(gone, [])
    if lexical is not None:
        after = store.digest()
        if not in_step:
            rebuild_lexical(lexical, store)
        if lexical.digest != after:
            lexical.commit(after)
    return IngestReport(
        added=counts["added"],
        updated=counts["updated"],
        removed=len(gone),
        unchanged=counts["unchanged"],
        chunks_written=counts["chunks"],
        issues=tuple(issues),
        seconds=time.perf_counter() - started,
    )


def rebuild_lexical(lexical: LexicalIndex, store: ChunkStore, page: int = 2000) -> None:
    """Refill the lexical index from the chunks Chroma holds (no re-chunking, no embedding), a
    page at a time: the lexical index writes a segment whenever it has a segment's worth."""
    lexical.clear()
    rows = ((chunk_id, terms(titled(meta.get("title"), text)), meta) for chunk_id, text, meta in store.iter_chunks(page))
    while batch := list(islice(rows, page)):
        lexical.replace((), batch)
