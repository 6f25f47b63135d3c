"""Ingest into the real embedded Chroma: incremental, replaces changed, removes deleted, keeps going past bad files."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import SEED


def _count_encodes(bot, monkeypatch) -> list[int]:
    calls: list[int] = []
    original = bot.embedder.encode

    def counting(texts, *args, **kwargs):
        calls.append(len(texts))
        return original(texts, *args, **kwargs)

    monkeypatch.setattr(bot.embedder, "encode", counting)
    return calls


def test_ingest_then_unchanged_reingest_does_no_work(corpus_dir: Path, make_assistant, monkeypatch):
    bot = make_assistant(corpus_dir)
    first = bot.ingest()
    assert (first.added, first.chunks_written) == (1, bot.store.count()) and first.chunks_written > 1
    calls = _count_encodes(bot, monkeypatch)
    again = make_assistant(corpus_dir).ingest()  # a new process-like instance on the same index
    assert (again.added, again.updated, again.removed, again.unchanged, again.chunks_written) == (0, 0, 0, 1, 0)
    assert calls == []


def test_the_local_copy_of_the_manifest_is_read_only_while_it_is_the_index_s(corpus_dir: Path, make_assistant, monkeypatch):
    """An unchanged re-ingest reads this machine's copy of the manifest instead of Chroma's, but
    only while the digest stamped on the collection is the copy's: an older copy (the index
    written since) is passed over, or it would take the changed article for unchanged."""
    import shutil

    bot = make_assistant(corpus_dir)
    bot.ingest()
    copy = bot.store.cache
    assert copy.is_file()
    old = copy.with_name("old.json")
    shutil.copy(copy, old)
    text = SEED.read_text(encoding="utf-8")
    (corpus_dir / SEED.name).write_text(text.replace("one civilian has been killed", "two civilians have been killed"))
    assert bot.ingest().updated == 1
    reads = []
    later = make_assistant(corpus_dir)
    monkeypatch.setattr(later.store.manifest_col, "get", lambda *a, **k: reads.append(1) or (_ for _ in ()).throw(
        AssertionError("read Chroma's manifest")))
    assert later.ingest().unchanged == 1 and reads == []  # the copy, current
    shutil.copy(old, copy)  # the copy from before the change
    monkeypatch.undo()
    again = make_assistant(corpus_dir).ingest()
    assert (again.updated, again.unchanged, again.chunks_written) == (0, 1, 0)


def test_a_fingerprint_tells_apart_what_the_chunks_depend_on():
    """Moving text between fields, or an empty field for a missing one, changes the fingerprint."""
    from assistant.index.store import fingerprint
    from assistant.schema import Article

    base = Article(id="a", title="Talks", text="resume today.", published="2020-10-01", source="AFP")
    variants = [base, Article(id="a", title="Talks resume", text=" today.", published="2020-10-01", source="AFP"),
                Article(id="a", title="Talks", text="resume today.", published="2020-10-01", source="AFP", url=""),
                Article(id="a", title="Talks", text="resume today.", published="2020-10-02", source="AFP"),
                Article(id="a", title="Talks", text="resume today.", published="2020-10-01", source="AFP", path="b.md")]
    prints = [fingerprint(a, "v1") for a in variants]
    assert len(set(prints[:4])) == 4 and prints[4] == prints[0]  # where the file is does not matter
    assert fingerprint(base, "v2") != prints[0]  # the pipeline's settings count too


def test_changed_article_replaced_and_deleted_removed(corpus_dir: Path, make_assistant):
    bot = make_assistant(corpus_dir)
    extra = corpus_dir / "extra.md"
    extra.write_text("---\ntitle: Bridge\npublished: 2020-10-05\n---\nThe bridge over the Kura river was closed on Monday, officials said.\n")
    bot.ingest()
    before = bot.store.count()
    text = SEED.read_text(encoding="utf-8")
    (corpus_dir / SEED.name).write_text(text.replace("one civilian has been killed", "two civilians have been killed"))
    report = bot.ingest()
    assert (report.updated, report.added, report.unchanged) == (1, 0, 1)
    assert bot.store.count() == before  # replaced, not appended
    answer = bot.ask("How many civilians were killed in Ganja?")
    assert "two civilians have been killed" in answer.claims[0].text
    assert all("one civilian has been killed" not in s.passage for s in answer.sources)
    extra.unlink()
    report = bot.ingest()
    assert report.removed == 1
    got = bot.store.chunks.get(where={"article_id": "extra"})
    assert got["ids"] == []
    assert bot.store.article_count() == 1


def test_an_ingest_killed_after_writing_chunks_leaves_none_behind(corpus_dir: Path, make_assistant, monkeypatch):
    """Chunks are added before the manifest records their article. Killed in between, the next
    ingest must replace what was left (the article changed meanwhile, into fewer chunks) and drop
    the chunks of an article that is gone by then, though no manifest ever listed them."""
    import pytest

    extra = corpus_dir / "extra.md"
    extra.write_text("---\ntitle: Bridge\npublished: 2020-10-05\n---\nThe bridge over the Kura river was closed on Monday, officials said.\n")
    bot = make_assistant(corpus_dir)

    def killed(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(bot.store.manifest_col, "upsert", killed)
    with pytest.raises(KeyboardInterrupt):
        bot.ingest()
    left = bot.store.chunks.get()["ids"]
    assert bot.store.article_count() == 0 and any(i.startswith("extra") for i in left)
    seed = corpus_dir / SEED.name
    text = seed.read_text(encoding="utf-8")
    seed.write_text(text[:len(text) // 3])  # fewer chunks than were left
    extra.unlink()

    later = make_assistant(corpus_dir)
    assert later.store.interrupted()
    report = later.ingest()
    assert report.added == 1
    ids = set(later.store.chunks.get()["ids"])
    assert len(ids) == report.chunks_written < len(left) and not any(i.startswith("extra") for i in ids)
    assert later.lexical.ids() == ids
    assert not make_assistant(corpus_dir).store.interrupted()


def test_bad_files_beside_good_ones(corpus_dir: Path, make_assistant):
    (corpus_dir / "bad.json").write_text("{oops")
    (corpus_dir / "empty.md").write_text("")
    (corpus_dir / "more.jsonl").write_text(json.dumps({"id": "m1", "title": "Kura", "text": "Officials said the Kura bridge reopened."}) + "\n{bad\n")
    bot = make_assistant(corpus_dir)
    report = bot.ingest()
    assert report.added == 2  # the seed and m1
    assert {i.path.split("/")[-1] for i in report.issues} == {"bad.json", "empty.md", "more.jsonl:2"}
    assert bot.ask("Which bridge reopened?").sources[0].article_id == "m1"


def test_file_that_turns_bad_keeps_its_indexed_article(corpus_dir: Path, make_assistant):
    bot = make_assistant(corpus_dir)
    bot.ingest()
    (corpus_dir / SEED.name).write_text("---\ntitle: [broken\n---\n")
    report = bot.ingest()
    assert report.removed == 0 and bot.store.article_count() == 1
    assert any("malformed YAML" in i.reason for i in report.issues)


def test_duplicate_ids_keep_the_first(corpus_dir: Path, make_assistant):
    (corpus_dir / "zz-copy.md").write_text("---\nid: 5955795cbc8a8a5d\ntitle: Copy\n---\nA copy.\n")
    report = make_assistant(corpus_dir).ingest()
    assert report.added == 1
    assert any("duplicate article id" in i.reason and "zz-copy.md" in i.path for i in report.issues)


def test_corpus_without_registry_still_answers_who(tmp_path: Path, make_assistant):
    corpus = tmp_path / "plain"
    corpus.mkdir()
    (corpus / "a.txt").write_text("Dam talks\n\nThe water ministry of Egypt said on Monday that talks on the dam had failed.\n")
    answer = make_assistant(corpus).ask("Did the dam talks fail?")
    assert answer.found
    claim = answer.claims[0]
    assert claim.speaker == "water ministry of Egypt" and claim.party == "water-ministry-of-egypt"


def test_refresh_on_ask_off_answers_from_the_index_as_it_is(corpus_dir: Path, make_assistant):
    cold = make_assistant(corpus_dir, refresh_on_ask=False)
    assert cold.ensure_index() is not None and cold.store.count() > 0  # an empty index is still built
    (corpus_dir / "extra.md").write_text("---\ntitle: Bridge\n---\nThe Kura bridge was closed on Monday, officials said.\n")
    later = make_assistant(corpus_dir, refresh_on_ask=False)  # a new process on the built index
    assert later.ensure_index() is None and later.store.article_count() == 1  # no corpus check before answering
    assert all("Kura" not in s.passage for s in later.ask("Which bridge was closed?").sources)
    assert make_assistant(corpus_dir).ensure_index().added == 1  # the default checks the corpus first


@pytest.mark.parametrize("start", ["fork", "spawn"])
def test_worker_ingest_stores_what_an_inline_ingest_stores(tmp_path: Path, make_assistant, start, monkeypatch):
    """Past the first INLINE_ARTICLES, worker processes prepare the articles and, for the default
    static model, embed them without torch: the index must hold exactly what an ingest without
    workers holds, and its vectors be what the model's own ``encode`` gives; forked workers (the
    model in their memory) and spawned ones (the model loaded from files) alike."""
    import numpy as np

    from assistant.index.store import unpack
    from assistant.ingest.pipeline import INLINE_ARTICLES
    from assistant.text import titled

    body = SEED.read_text(encoding="utf-8").split("---", 2)[2]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"id": f"a{i}", "title": f"Report {i}", "published": f"2020-10-{1 + i % 28:02d}", "source": f"Outlet {i % 3}",
             "text": f"{body}\n\nEdition {i} of this report."} for i in range(INLINE_ARTICLES[start] + 8)]
    (corpus / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")

    def contents(bot):
        got = bot.store.chunks.get(include=["metadatas", "embeddings"])
        order = np.argsort(got["ids"])
        metas = [unpack(got["metadatas"][i]) for i in order]
        return ([got["ids"][i] for i in order], [m["text"] for m in metas], metas, np.asarray(got["embeddings"])[order])

    inline = make_assistant(corpus, index_dir=tmp_path / "inline", ingest_workers=0, batch_size=16)
    assert inline.ingest().added == len(rows)
    pooled = make_assistant(corpus, index_dir=tmp_path / "pooled", ingest_workers=2, batch_size=16, ingest_start=start)
    assert pooled.ingest().added == len(rows)
    a, b = contents(inline), contents(pooled)
    assert a[:3] == b[:3] and np.allclose(a[3], b[3], atol=1e-6)
    assert inline.lexical.ids() == pooled.lexical.ids() == set(a[0])
    titles = {r["id"]: r["title"] for r in rows}
    texts = [titled(titles[m["article_id"]], d) for d, m in zip(a[1], a[2])]
    assert np.allclose(inline.embedder.encode(texts), a[3], atol=1e-6)
    # a model that is not a static embedding: the workers hand over no vectors, and the ingest
    # process encodes the texts with the model itself
    from assistant.embedding.model import Embedder

    monkeypatch.setattr(Embedder, "static_parts", lambda self: None)
    encoded = make_assistant(corpus, index_dir=tmp_path / "encoded", ingest_workers=2, batch_size=16, ingest_start=start)
    assert encoded.ingest().added == len(rows)
    c = contents(encoded)
    assert c[:3] == a[:3] and np.allclose(c[3], a[3], atol=1e-6)


def test_an_ingest_removes_the_temporary_folders_of_killed_ones(tmp_path: Path, make_assistant, monkeypatch):
    """The workers' folder (tens of megabytes: the static model's token vectors) outlives an ingest
    killed with SIGKILL; the next ingest that starts workers removes it, and leaves a live one's."""
    import subprocess
    import sys
    import tempfile

    from assistant.ingest.pipeline import POOL_START

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = tmp_path / f"assistant-ingest-{int(gone.stdout)}-x1"
    live = tmp_path / f"assistant-ingest-{os.getpid()}-x2"
    for folder in (dead, live):
        folder.mkdir()
        (folder / "weights.npy").write_bytes(b"0" * 1000)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"id": f"a{i}", "title": f"Report {i}", "text": f"Officials said on Monday that talks would resume. Item {i}."}
            for i in range(max(POOL_START.values()) + 4)]
    (corpus / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    assert make_assistant(corpus, ingest_workers=2).ingest().added == len(rows)
    assert not dead.exists() and live.exists()
    assert sorted(p.name for p in tmp_path.glob("assistant-ingest-*")) == [live.name]  # its own is gone too


def test_a_script_without_a_main_guard_is_told_the_fix(tmp_path: Path):
    """Each spawned ingest worker imports the script that started the ingest; without a main
    guard that script would ingest again inside every worker. It stops with the fix instead.
    Forked workers (Linux's default) import nothing: there the same script just ingests."""
    import os
    import subprocess
    import sys

    from assistant.ingest.pipeline import INLINE_ARTICLES

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    rows = [{"id": f"a{i}", "title": f"Report {i}", "text": f"Officials said on Monday that talks would resume. Item {i}."}
            for i in range(INLINE_ARTICLES["spawn"] + 4)]
    (corpus / "articles.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    script = tmp_path / "unguarded.py"
    script.write_text(f"from assistant import Assistant\nprint(Assistant(corpus={str(corpus)!r}, "
                      f"index_dir={str(tmp_path / 'index')!r}).ingest().added)\n")

    def run(start: str) -> subprocess.CompletedProcess:
        env = {**os.environ, "ASSISTANT_INGEST_START": start, "ASSISTANT_INGEST_WORKERS": "2"}
        return subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=300, env=env)

    done = run("spawn")
    assert done.returncode != 0
    assert "IngestError" in done.stderr and "if __name__ == '__main__':" in done.stderr
    assert "ASSISTANT_INGEST_WORKERS=0" in done.stderr
    if sys.platform.startswith("linux"):
        done = run("fork")
        assert done.returncode == 0 and done.stdout.split()[-1] == str(len(rows)), done.stderr
