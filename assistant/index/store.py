"""Chroma-backed chunk store: embedded ``PersistentClient`` or a server through ``HttpClient``.

Two collections per corpus: ``<name>`` holds the chunks (cosine space, our own vectors) and
``<name>-articles`` the manifest, one record per article with the fingerprint of what was
indexed, so that an unchanged article costs nothing on the next ingest. A chunk's record is
its vector, its ``article_id`` and one packed JSON string with its text (``chunk_metadata``):
filters are the lexical index's arrays, not Chroma's, and the text is not a Chroma document,
whose full-text index (which BM25 here replaces) was over half of what a write cost.

chromadb is used directly rather than through langchain-chroma: ingest needs explicit ids,
deletes by article, batched upserts under the server's max batch size and the manifest
collection, none of which the LangChain vector-store interface exposes cleanly.

Example:
    >>> import tempfile, numpy as np
    >>> from assistant.settings import Settings
    >>> s = Settings(index_dir=tempfile.mkdtemp())
    >>> store = ChunkStore.open(s, "demo", embedding_model="m", dimension=3)
    >>> store.count()
    0
"""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import IndexUnavailableError
from ..schema import Article, Chunk, Passage, Prepared, day_number
from ..settings import Settings

STORE_VERSION = "5"  # 2: parties as one array (was one flag per party); 3: compact sentences;
# 4: only article_id as its own key, the rest packed; 5: the text packed too, no Chroma document
_MANIFEST_SUFFIX = "-articles"
_WRITING = "writing"  # collection metadata key: set while an ingest writes, cleared when it is done
_STAMP = "manifest_digest"  # collection metadata key: the manifest's digest, set when an ingest is done


def collection_name(settings: Settings) -> str:
    """The chunk collection of the settings' corpus: named by the folder, unique by its path."""
    if settings.collection:
        return settings.collection
    corpus = Path(settings.corpus).expanduser().resolve()
    slug = re.sub(r"[^a-zA-Z0-9]+", "-", corpus.name).strip("-")[:40] or "corpus"
    digest = hashlib.sha1(str(corpus).encode()).hexdigest()[:8]
    return f"{slug}-{digest}"


@dataclass(frozen=True)
class ManifestEntry:
    article_id: str
    fingerprint: str
    path: str
    chunks: int
    title: str = ""


class ChunkStore:
    """The chunks and the manifest of one corpus."""

    def __init__(self, client: Any, name: str, embedding_model: str, dimension: int, where: str,
                 cache: Path | None = None):
        self.client = client
        self.cache = cache  # this machine's copy of the manifest (``manifest(cached=True)``)
        self.name = name
        self.where = where
        self.dimension = dimension
        self.reset_reason: str | None = None
        meta = {"embedding_model": embedding_model, "dimension": dimension, "store_version": STORE_VERSION}
        self.chunks = client.get_or_create_collection(
            name, configuration={"hnsw": {"space": "cosine"}}, metadata=meta, embedding_function=None
        )
        have = self.chunks.metadata or {}
        if any(have.get(k) != v for k, v in meta.items()):
            # A different model (or layout) made these vectors: they cannot be mixed with ours.
            self.reset_reason = (
                f"index {name} was built with embedding model {have.get('embedding_model')!r} (layout "
                f"{have.get('store_version')}); rebuilding for {embedding_model!r} (layout {STORE_VERSION})"
            )
            client.delete_collection(name)
            self._drop(name + _MANIFEST_SUFFIX)
            self.chunks = client.create_collection(
                name, configuration={"hnsw": {"space": "cosine"}}, metadata=meta, embedding_function=None
            )
        self.manifest_col = client.get_or_create_collection(name + _MANIFEST_SUFFIX, embedding_function=None)
        self.max_batch = int(client.get_max_batch_size())

    def _drop(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception:
            pass

    @classmethod
    def open(cls, settings: Settings, name: str, embedding_model: str, dimension: int) -> "ChunkStore":
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if settings.chroma_url:
            host, port = settings.chroma_host_port()
            where = f"Chroma server {host}:{port}"
            try:
                client = chromadb.HttpClient(host=host, port=port, settings=chroma_settings)
                client.heartbeat()
            except Exception as exc:
                raise IndexUnavailableError(
                    f"ASSISTANT_CHROMA_URL={settings.chroma_url}: cannot reach the Chroma server ({exc}). "
                    "Start it (chroma run --host 127.0.0.1 --port PORT --path DIR) or unset ASSISTANT_CHROMA_URL "
                    "to use the embedded index."
                ) from None
        else:
            path = Path(settings.index_dir).expanduser()
            where = str(path)
            try:
                path.mkdir(parents=True, exist_ok=True)
                client = chromadb.PersistentClient(path=str(path), settings=chroma_settings)
            except Exception as exc:
                raise IndexUnavailableError(
                    f"ASSISTANT_INDEX_DIR={path}: cannot open the index ({exc}). Point it at a writable folder."
                ) from None
        # a copy of the manifest beside the embedded index; against a server nothing is kept here
        cache = None if settings.chroma_url else Path(settings.index_dir).expanduser() / "manifests" / f"{name}.json"
        return cls(client, name, embedding_model, dimension, where, cache=cache)

    # ------------------------------------------------------------------ manifest

    def manifest(self, cached: bool = False) -> dict[str, ManifestEntry]:
        """Every indexed article's entry. ``cached``: this machine's copy when the index still
        holds what it lists (the digest ``finish_writing`` stamped on the collection, read fresh,
        is the copy's and no ingest is writing). The first read of the manifest collection in a
        process costs Chroma 6-8 ms whatever it asks, most of an unchanged re-ingest of 100 articles."""
        if cached and self.cache is not None and (copy := self._cached_manifest()) is not None:
            return copy
        out: dict[str, ManifestEntry] = {}
        offset = 0
        page = 5000
        while True:
            got = self.manifest_col.get(include=["metadatas"], limit=page, offset=offset)
            for id_, meta in zip(got["ids"], got["metadatas"] or []):
                meta = meta or {}
                out[id_] = ManifestEntry(id_, str(meta.get("fingerprint", "")), str(meta.get("path", "")),
                                         int(meta.get("chunks", 0)), str(meta.get("title") or ""))
            if len(got["ids"]) < page:
                return out
            offset += page

    def _cached_manifest(self) -> dict[str, ManifestEntry] | None:
        import orjson

        try:
            meta = self.client.get_collection(self.name).metadata or {}
            if meta.get(_WRITING) or not meta.get(_STAMP):
                return None
            data = orjson.loads(self.cache.read_bytes())
        except Exception:
            return None  # no copy, a damaged one, or the collection gone: Chroma's own manifest
        if data.get("digest") != meta[_STAMP]:
            return None
        return {e[0]: ManifestEntry(*e) for e in data["entries"]}

    def finish_writing(self, manifest: dict[str, ManifestEntry]) -> str:
        """End an ingest's writes (``set_writing(False)``), ``manifest`` being what the index now
        holds: it is kept as this machine's copy, then its digest stamped on the collection. The
        digest, which the lexical index is committed with."""
        import orjson

        digest = manifest_digest(manifest)
        if self.cache is not None:
            try:
                self.cache.parent.mkdir(parents=True, exist_ok=True)
                tmp = self.cache.with_suffix(".tmp")
                tmp.write_bytes(orjson.dumps({"digest": digest, "entries": [
                    [e.article_id, e.fingerprint, e.path, e.chunks, e.title] for e in manifest.values()]}))
                tmp.replace(self.cache)
            except OSError:
                pass  # without a copy, the next ingest reads Chroma's manifest
        self.set_writing(False, stamp=digest)
        return digest

    def _batches(self, n: int) -> Iterable[slice]:
        step = max(1, self.max_batch)
        for i in range(0, n, step):
            yield slice(i, i + step)

    # ------------------------------------------------------------------ writes

    def interrupted(self) -> bool:
        """Whether an ingest began writing and never finished (it was killed): chunks may then be
        in the index that the manifest does not list."""
        return bool((self.chunks.metadata or {}).get(_WRITING))

    def set_writing(self, writing: bool, stamp: str | None = None) -> None:
        """Mark the index as being written (``interrupted`` until it is unmarked), or unmark it
        with the ``stamp`` of what it now holds (see ``finish_writing``); marking drops the stamp."""
        meta = {k: v for k, v in (self.chunks.metadata or {}).items() if k not in (_WRITING, _STAMP)}
        if writing:
            meta[_WRITING] = True
        elif stamp:
            meta[_STAMP] = stamp
        self.chunks.modify(metadata=meta)

    def write(self, prepared: Sequence[Prepared], vectors: np.ndarray, replacing: set[str]) -> None:
        """Add the chunks of the ``prepared`` articles (old ones of the ``replacing`` ids removed
        first), with ``vectors`` in their order; ``record`` lists the articles in the manifest
        after, so a crash in between redoes them next time. An article not replaced must have no
        chunks here: Chroma's add keeps a chunk it already holds, and add costs less than upsert,
        whose lookups made a write 1.1x (hence ``interrupted``)."""
        if replacing:
            self.delete_chunks(sorted(replacing))
        ids = [i for p in prepared for i in p.ids]
        metadatas = [m for p in prepared for m in p.metadatas]
        for sl in self._batches(len(ids)):
            self.chunks.add(ids=ids[sl], embeddings=vectors[sl], metadatas=metadatas[sl])

    def record(self, entries: Sequence[ManifestEntry]) -> None:
        """List written articles in the manifest (each call costs Chroma a commit: record many at once)."""
        ids = [e.article_id for e in entries]
        metas = [{"fingerprint": e.fingerprint, "path": e.path or "", "chunks": e.chunks, "title": e.title} for e in entries]
        for sl in self._batches(len(ids)):
            self.manifest_col.upsert(ids=ids[sl], embeddings=[[0.0]] * len(ids[sl]), metadatas=metas[sl])

    def drop_unlisted(self, page: int = 5000) -> int:
        """Remove the chunks of articles the manifest does not list (what a killed ingest can
        leave), reading every chunk's article: meant only after ``interrupted``. The count removed."""
        listed = set(self.manifest())
        unlisted: list[str] = []
        offset = 0
        while True:
            got = self.chunks.get(include=["metadatas"], limit=page, offset=offset)
            unlisted += [i for i, m in zip(got["ids"], got["metadatas"] or []) if (m or {}).get("article_id") not in listed]
            if len(got["ids"]) < page:
                break
            offset += len(got["ids"])
        for sl in self._batches(len(unlisted)):
            self.chunks.delete(ids=unlisted[sl])
        return len(unlisted)

    def delete_chunks(self, article_ids: Sequence[str]) -> None:
        for sl in self._batches(len(article_ids)):
            part = list(article_ids[sl])
            where = {"article_id": part[0]} if len(part) == 1 else {"article_id": {"$in": part}}
            self.chunks.delete(where=where)

    def delete_articles(self, article_ids: Sequence[str]) -> None:
        self.delete_chunks(article_ids)
        for sl in self._batches(len(article_ids)):
            self.manifest_col.delete(ids=list(article_ids[sl]))

    # ------------------------------------------------------------------ reads

    def count(self) -> int:
        return int(self.chunks.count())

    def article_count(self) -> int:
        return int(self.manifest_col.count())

    def query_ids(self, vector: np.ndarray, n: int, ids: Sequence[str] | None = None) -> list[str]:
        """The ids of the ``n`` chunks nearest to ``vector`` (among ``ids`` when given), nearest
        first (``get`` fetches them). Chroma returns fewer when it holds fewer, so no count first
        (a count costs a query)."""
        res = self.chunks.query(
            query_embeddings=[np.asarray(vector, dtype=np.float32)],
            n_results=n,
            ids=list(ids) if ids is not None else None,
            include=["distances"],
        )
        return list(res["ids"][0])

    def get(self, ids: Sequence[str]) -> tuple[list[Passage], np.ndarray]:
        """The chunks ``ids`` (in that order, missing ones dropped) and their embeddings."""
        if not ids:
            return [], np.zeros((0, self.dimension), dtype=np.float32)
        res = self.chunks.get(ids=list(ids), include=["metadatas", "embeddings"])
        by_id = {i: (m, e) for i, m, e in zip(res["ids"], res["metadatas"], res["embeddings"])}
        found = [i for i in ids if i in by_id]
        passages = [_passage(i, by_id[i][0], 0.0) for i in found]
        vectors = np.asarray([by_id[i][1] for i in found], dtype=np.float32).reshape(len(found), -1)
        return passages, vectors

    def article_text(self, article_id: str) -> str:
        """The article's body as its stored chunks hold it, each at its own offsets (what lies
        between two chunks is only white space, as chunks are whole sentences)."""
        got = self.chunks.get(where={"article_id": article_id}, include=["metadatas"])
        pieces = sorted((int(m["start"]), m["text"]) for m in map(unpack, got["metadatas"]))
        parts: list[str] = []
        end = 0
        for start, doc in pieces:  # gaps become spaces; overlapping chunks add only what is new
            if start >= end:
                parts += [" " * (start - end), doc]
            elif start + len(doc) > end:
                parts.append(doc[end - start:])
            end = max(end, start + len(doc))
        return "".join(parts)

    def iter_chunks(self, page: int = 2000) -> Iterable[tuple[str, str, dict[str, Any]]]:
        """Every stored chunk as (id, text, metadata ``unpack``ed), a page at a time."""
        offset = 0
        while True:
            got = self.chunks.get(include=["metadatas"], limit=page, offset=offset)
            if not got["ids"]:
                return
            for id_, meta in zip(got["ids"], map(unpack, got["metadatas"])):
                yield id_, meta["text"], meta
            offset += len(got["ids"])

    def digest(self) -> str:
        """One hash of what the index holds (every article's fingerprint): the lexical index's
        check that it matches the dense one, also when another process wrote to a Chroma server."""
        return manifest_digest(self.manifest())


def manifest_digest(manifest: dict[str, ManifestEntry]) -> str:
    items = sorted((k, v.fingerprint) for k, v in manifest.items())
    return hashlib.sha1(json.dumps(items).encode()).hexdigest()


def filter_fields(article: Article, chunk: Chunk) -> dict[str, Any]:
    """What filters read of a chunk (the lexical index holds them as arrays): its article, outlet,
    day and the parties speaking in it."""
    fields = {
        "article_id": article.id,
        "source": article.source,
        "published_day": day_number(article.published) if article.published else None,
        "parties": sorted({a.party for s in chunk.sentences for a in s.attributions}) or None,
    }
    return {k: v for k, v in fields.items() if v is not None}


def chunk_metadata(article: Article, chunk: Chunk) -> dict[str, Any]:
    """A chunk's metadata in Chroma: ``article_id``, which deletes and an article's text select
    by, and the rest, its text included, packed in one JSON string. Chroma indexes every key it
    is given, and the separate keys (the parties array most) made each write 1.6x that of the
    vectors and texts alone; a write also costs in proportion to the metadata's length, so what
    ``unpack`` can derive (the filter fields) is left out. Filters read the lexical index's
    arrays. The text is not given as a Chroma document: a local Chroma builds a full-text index of
    documents whether or not it is ever searched (a schema that turns it off is honoured only
    when searching), and that index was 4.5 s of an 8 s write of 11k chunks; BM25 is ours."""
    packed = {
        "text": chunk.text,
        "index": chunk.index,
        "start": chunk.start,
        "end": chunk.end,
        "title": article.title,
        "published": article.published,
        "source": article.source,
        "url": article.url,
        "sentences": chunk.sentence_rows(),
    }
    return {"article_id": article.id,
            "chunk": json.dumps({k: v for k, v in packed.items() if v is not None}, ensure_ascii=False, separators=(",", ":"))}


def unpack(meta: dict[str, Any]) -> dict[str, Any]:
    """``chunk_metadata`` read back as one dict, ``filter_fields``' keys among them."""
    out = {"article_id": meta["article_id"], **json.loads(meta["chunk"])}
    # layout 4 stored these too; derived, they are the same
    if parties := Chunk.parties_of_rows(out["sentences"]):
        out["parties"] = parties
    if out.get("published"):
        out["published_day"] = day_number(out["published"])
    return out


def _passage(id_: str, meta: dict[str, Any], score: float) -> Passage:
    meta = unpack(meta)
    doc = meta["text"]
    chunk = Chunk(
        id=id_,
        article_id=str(meta["article_id"]),
        index=int(meta["index"]),
        text=doc,
        start=int(meta["start"]),
        end=int(meta["end"]),
        sentences=Chunk.sentences_from_rows(meta["sentences"], doc, int(meta["start"])),
    )
    return Passage(
        chunk=chunk,
        score=score,
        title=str(meta.get("title") or ""),
        published=meta.get("published"),
        source=meta.get("source"),
        url=meta.get("url"),
    )


def fingerprint(article: Article, extra: str) -> str:
    """What an article's chunks depend on: its content and the pipeline's settings. Each part is
    hashed with its length (None apart from ""), which leaves no two articles one payload, at a
    quarter of the cost of hashing them as one JSON string (every ingest hashes every article)."""
    digest = hashlib.sha1()
    for part in (article.title, article.text, article.published, article.source, article.url, extra):
        if part is None:
            digest.update(b"-;")
        else:
            data = part.encode("utf-8", "surrogatepass")
            digest.update(b"%d:" % len(data))
            digest.update(data)
    return digest.hexdigest()
