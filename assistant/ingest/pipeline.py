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
from typing import Any

import numpy as np

from ..attribution.parties import PartyRegistry
from ..embedding.model import Embedder, static_vectors
from ..errors import IngestError
from ..index.lexical import LexicalIndex
from ..index.store import ChunkStore, ManifestEntry, chunk_metadata, filter_fields, fingerprint, manifest_digest, unpack
from ..text import terms, titled
from ..schema import Article, Chunk, IngestReport, LoadIssue, Prepared
from ..settings import Settings
from .chunker import chunk_article
from .loader import iter_corpus

PIPELINE_VERSION = "2"
# by how workers start (Settings.ingest_start): the changed articles before worker processes start
# (a small ingest does without), and the first articles this process prepares itself while they
# start; a forked worker is ready in milliseconds, a spawned one takes about 0.6 s
POOL_START = {"fork": 4, "spawn": 16}
INLINE_ARTICLES = {"fork": 8, "spawn": 32}
TASK_ARTICLES = 16  # articles a worker prepares per task, once the first results are back
FIRST_TASK_ARTICLES = 4  # the first tasks are small, so the first results come soon
WORKER_NICENESS = 19
TASKS_PER_WORKER = 3  # tasks in flight per worker, at least
# written articles listed in the manifest at once: each listing costs Chroma a commit (6% of an
# ingest's writes when made per batch); after a crash the unlisted ones are redone
RECORD_ARTICLES = 2000
CHUNKS_PER_ARTICLE = 12  # about, in news: sizes the window to cover a write


def prepare(article: Article, settings: Settings, registry: PartyRegistry) -> list[Chunk]:
    """Sentences with attributions, grouped into chunks."""
    # imported here: compiling the rules' patterns is most of what an unchanged re-ingest costs
    from ..attribution.engine import attribute_article

    sentences = attribute_article(article.text, registry)
    return chunk_article(article, sentences, settings.chunk_size, settings.chunk_overlap)


def prepare_for_index(article: Article, fp: str, existed: bool, settings: Settings, registry: PartyRegistry,
                      static: tuple[Any, np.ndarray] | None = None) -> Prepared:
    """Everything of ``article`` but its vectors; with ``static`` (a static-embedding model's
    tokenizer and token vectors, see ``Embedder.static_parts``), its vectors too."""
    chunks = prepare(article, settings, registry)
    texts = [embedding_text(article, c) for c in chunks]
    fields = [filter_fields(article, c) for c in chunks]
    vectors = static_vectors(*static, texts) if static is not None and texts else None
    return Prepared(article.id, article.path, article.title, fp, existed, [c.id for c in chunks],
                    [chunk_metadata(article, c) for c in chunks], fields, [terms(t) for t in texts], vectors)


_worker: dict[str, Any] = {}  # a worker process's settings, registry, static model and output folder


def _prepare_in_worker(items: list[tuple[Article, str, bool]]) -> str:
    """Prepare a task's articles and leave them in a file; only its path goes back. Chroma holds the
    ingest process's GIL through each write, so neither a result pipe nor the pool's threads there
    move while it writes: a worker that had to hand its results over a pipe would wait."""
    import pickle
    import tempfile

    out = [prepare_for_index(a, fp, existed, _worker["settings"], _worker["registry"], _worker["static"])
           for a, fp, existed in items]
    fd, path = tempfile.mkstemp(dir=_worker["folder"], suffix=".pickle")
    with os.fdopen(fd, "wb") as fh:
        pickle.dump(out, fh, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def _ready() -> None:
    """A task that only makes a worker process start."""


def prepared(
    articles: Iterable[tuple[Article, str, bool]], settings: Settings, registry: PartyRegistry,
    static: tuple[Any, np.ndarray] | None = None,
) -> Iterator[Prepared]:
    """Each (article, fingerprint, existed), prepared, in order. Past the first few articles this
    runs in worker processes (ASSISTANT_INGEST_WORKERS), a task of several articles at a time,
    while this process embeds and writes the previous batch; a window of about two batches'
    worth of articles is in flight, so the workers keep busy through a write and memory stays
    bounded by the batch, not the corpus. While the workers start, this process prepares the
    first articles itself. With ``static``, a static-embedding model's parts
    (``Embedder.static_parts``), the articles are embedded too."""
    import shutil

    # the pool queues only one task beyond one per worker; tasks of several articles keep the
    # workers busy through a write, during which this process cannot hand out more
    in_flight = TASK_ARTICLES * max(TASKS_PER_WORKER * settings.ingest_workers,
                                    -(-2 * settings.batch_size // (CHUNKS_PER_ARTICLE * TASK_ARTICLES)))
    window: deque = deque()  # futures of tasks, and articles left for this process, in order
    waiting = 0  # articles in the window
    tasks = 0
    pool = None
    folder = None
    task: list[tuple[Article, str, bool]] = []

    def submit() -> None:
        nonlocal task, tasks
        window.append(pool.submit(_prepare_in_worker, task))
        task, tasks = [], tasks + 1

    def oldest() -> Iterator[Prepared]:
        nonlocal waiting
        head = window.popleft()
        if isinstance(head, tuple):
            waiting -= 1
            yield prepare_for_index(*head, settings, registry, static)
        else:
            done = _result(head)
            waiting -= len(done)
            yield from done

    method = start_method(settings)
    finished = False
    try:
        for n, item in enumerate(articles):
            if pool is None and settings.ingest_workers and n >= POOL_START[method]:
                pool, folder = _start_pool(settings, registry, static, method)
            if pool is None:
                yield prepare_for_index(*item, settings, registry, static)
                continue
            waiting += 1
            if n < INLINE_ARTICLES[method]:
                window.append(item)
            else:
                task.append(item)
                if len(task) >= (TASK_ARTICLES if tasks >= 2 * settings.ingest_workers else FIRST_TASK_ARTICLES):
                    submit()
            while waiting >= in_flight and window:
                yield from oldest()
        if task:
            submit()
        while window:
            yield from oldest()
        finished = True
    finally:
        if pool is not None:
            # done: the idle workers exit by themselves; else wait, so that none writes on
            pool.shutdown(wait=not finished, cancel_futures=True)
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)


def start_method(settings: Settings) -> str:
    """How the ingest's worker processes start: ``Settings.ingest_start``, else fork on Linux."""
    import sys

    return settings.ingest_start or ("fork" if sys.platform.startswith("linux") else "spawn")


def _start_pool(settings: Settings, registry: PartyRegistry, static: tuple[Any, np.ndarray] | None,
                method: str) -> tuple[Any, str]:
    """The worker processes, starting, and the folder their results (and, to spawned workers,
    the static model) go through.

    A forked worker starts with this process's memory: the model, the compiled rules. It runs
    only this module's pure-Python and numpy code, the tokenizer without its thread pool (set
    in ``_start_worker``), and never Chroma, torch or the UI, whose threads a fork does not
    copy; it ends with ``os._exit``, running no exit handler of theirs."""
    import tempfile
    import warnings
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    _remove_orphaned_folders()
    folder = tempfile.mkdtemp(prefix=f"{_FOLDER_PREFIX}{os.getpid()}-")
    shared = static
    if static is not None and method != "fork":
        # the static model goes to spawned workers as files: megabytes of start-up arguments
        # would fill the pipe to a worker that died starting, and hang this process
        static[0].save(os.path.join(folder, "tokenizer.json"))
        np.save(os.path.join(folder, "weights.npy"), static[1])
        shared = folder
    pool = ProcessPoolExecutor(settings.ingest_workers, mp_context=get_context(method), initializer=_start_worker,
                               initargs=(os.getpid(), settings, registry, shared, folder))
    with warnings.catch_warnings():
        # Python 3.12+ warns at every fork of a process with threads; see the docstring
        warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
        for _ in range(settings.ingest_workers):  # processes start on demand: ask for them now
            pool.submit(_ready)
    return pool, folder


_FOLDER_PREFIX = "assistant-ingest-"  # then the ingest process's pid


def _remove_orphaned_folders() -> None:
    """Remove the temporary folders of ingests that were killed (their process is gone): each
    holds the static model's token vectors, tens of megabytes."""
    import shutil
    import tempfile

    for path in Path(tempfile.gettempdir()).glob(f"{_FOLDER_PREFIX}*"):
        try:
            pid = int(path.name[len(_FOLDER_PREFIX):].split("-", 1)[0])
            os.kill(pid, 0)
        except ValueError:
            continue  # not named by this version
        except ProcessLookupError:
            shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue  # alive, under another user


_WORKERS_FIX = ("a script that ingests with spawned workers (ASSISTANT_INGEST_START=spawn, the default off Linux) "
                "must do so under `if __name__ == '__main__':` (each spawned worker imports the script that started "
                "it), or set ASSISTANT_INGEST_WORKERS=0")


def _result(future: Any) -> list[Prepared]:
    import pickle
    from concurrent.futures.process import BrokenProcessPool

    try:
        path = future.result()
    except BrokenProcessPool as exc:
        # what was written so far stays: the manifest records an article only after its chunks
        raise IngestError(f"the ingest worker processes stopped ({exc}); {_WORKERS_FIX}. A worker killed for "
                          "lack of memory stops them too: lower ASSISTANT_INGEST_WORKERS.") from None
    with open(path, "rb") as fh:
        out = pickle.load(fh)
    os.unlink(path)
    return out


def refuse_in_starting_worker() -> None:
    """Raise when called from a script that a starting worker process is importing (the script
    has no main guard): the worker would otherwise run a whole second ingest into the same index."""
    import sys

    # multiprocessing names __main__ also __mp_main__; only while a child runs the parent's
    # script is __mp_main__ another module
    if sys.modules.get("__mp_main__", sys.modules.get("__main__")) is not sys.modules.get("__main__"):
        raise IngestError(f"ingest called while a worker process was starting; {_WORKERS_FIX}")


def _start_worker(parent: int, settings: Settings, registry: PartyRegistry,
                  static: tuple[Any, np.ndarray] | str | None, folder: str) -> None:
    """A worker ends when the ingest that started it is killed, instead of running on alone. A
    forked one has the static model already; a spawned one loads it from the folder ``static``
    (its token vectors mapped, shared with the other workers)."""
    import ctypes
    import signal
    import sys

    if sys.platform.startswith("linux"):
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # killed while this worker was starting
        os._exit(1)
    # the ingest process writes, and its writes are the critical path: a worker yields the CPU to it
    os.nice(WORKER_NICENESS)
    # a forked copy of the tokenizer's thread pool has no threads: encode in this thread
    os.environ["TOKENIZERS_PARALLELISM"] = "false"
    _worker.update(settings=settings, registry=registry, folder=folder, static=None)
    if isinstance(static, str):
        from tokenizers import Tokenizer

        try:
            _worker["static"] = (Tokenizer.from_file(os.path.join(static, "tokenizer.json")),
                                 np.load(os.path.join(static, "weights.npy"), mmap_mode="r"))
        except Exception:
            # the ingest ended while this worker started (and removed the folder): no task comes
            if os.path.isdir(static):
                raise
    else:
        _worker["static"] = static


def embedding_text(article: Article, chunk: Chunk) -> str:
    return titled(article.title, chunk.text)


def run_ingest(
    settings: Settings, store: ChunkStore, embedder: Embedder, registry: PartyRegistry, progress: bool = False,
    lexical: LexicalIndex | None = None,
) -> IngestReport:
    refuse_in_starting_worker()
    started = time.perf_counter()
    extra = f"{PIPELINE_VERSION}|{settings.chunk_size}|{settings.chunk_overlap}|{registry.fingerprint()}"
    manifest = store.manifest(cached=True)
    # the lexical index follows the dense one article by article while both held the same (or
    # nothing yet: a first ingest does not read every chunk back to build BM25)
    before = manifest_digest(manifest)
    in_step = lexical is not None and (lexical.digest == before or not manifest)
    if in_step and not manifest:
        lexical.clear()
    seen: set[str] = set()
    failed_paths: set[str] = set()
    issues: list[LoadIssue] = []
    counts = {"added": 0, "updated": 0, "unchanged": 0, "chunks": 0}
    pending: list[Prepared] = []
    pending_chunks = 0
    # a killed ingest may have left chunks of articles the manifest does not list: replace them all
    interrupted = store.interrupted()
    writing = False

    def start_writing() -> None:
        nonlocal writing
        if not writing:
            store.set_writing(True)
            writing = True

    unrecorded: list[ManifestEntry] = []  # written, not yet in the manifest

    def record() -> None:
        if unrecorded:
            store.record(unrecorded)
            unrecorded.clear()

    def flush() -> None:
        nonlocal pending, pending_chunks
        if not pending:
            return
        start_writing()
        if all(p.vectors is not None for p in pending):  # embedded as they were prepared
            vectors = np.concatenate([p.vectors for p in pending])
        else:
            # the texts from the metadata they are packed in (a worker hands over each once)
            texts = [titled(p.title, unpack(m)["text"]) for p in pending for m in p.metadatas]
            vectors = embedder.encode(texts, batch_size=settings.batch_size)
        store.write(pending, vectors, {p.article_id for p in pending if interrupted or p.article_id in manifest})
        unrecorded.extend(ManifestEntry(p.article_id, p.fingerprint, p.path or "", len(p.ids), p.title) for p in pending)
        if len(unrecorded) >= RECORD_ARTICLES:
            record()
        if in_step:
            lexical.replace({p.article_id for p in pending},
                            ((i, words, f) for p in pending for i, words, f in zip(p.ids, p.terms, p.fields)))
        counts["chunks"] += len(vectors)
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

    for item in prepared(changed(), settings, registry, embedder.static_parts()):
        if not item.ids:
            issues.append(LoadIssue(item.path or item.article_id, "article has no sentences to index"))
            continue
        counts["updated" if item.existed else "added"] += 1
        pending.append(item)
        pending_chunks += len(item.ids)
        if pending_chunks >= settings.batch_size:
            flush()
    flush()
    record()
    if bar is not None:
        bar.close()
    gone = [aid for aid, entry in manifest.items() if aid not in seen and entry.path not in failed_paths]
    if gone:
        start_writing()
        store.delete_articles(gone)
        if in_step:
            lexical.replace(gone, [])
    if interrupted:
        store.drop_unlisted()
    after = before  # nothing written or removed: the index holds what the manifest read at the start said
    if writing or interrupted:
        # the manifest as Chroma holds it: another process may have written to a server too
        after = store.finish_writing(store.manifest())
    if lexical is not None:
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
