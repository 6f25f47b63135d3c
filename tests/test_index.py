"""Ingest into the real embedded Chroma: incremental, replaces changed, removes deleted, keeps going past bad files."""
from __future__ import annotations

import json
from pathlib import Path

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
