"""The segmented lexical index: real bm25s segments on disk, small segment sizes to force many."""
from __future__ import annotations

import numpy as np
import pytest

from assistant.index import lexical as lexical_module
from assistant.index.lexical import LexicalIndex
from assistant.schema import Filters

WORDS = ["truce", "shell", "ganja", "missil", "civilian", "border", "drone", "prison"]


def docs(n: int, start: int = 0):
    """Chunks of exactly three terms (equal lengths, so every segment has the same average and
    segmented scores must equal one index's), spread over articles, outlets, days and parties."""
    rng = np.random.default_rng(7)
    out = []
    for i in range(start, start + n):
        words = [WORDS[j] for j in rng.choice(len(WORDS), 3, replace=False)]
        meta = {"article_id": f"art{i // 4}", "source": f"Outlet {i % 3}", "published_day": 20200820 + i % 10,
                "parties": ["armenia"] if i % 2 else ["azerbaijan"]}
        out.append((f"art{i // 4}::{i % 4}", words, meta))
    return out


@pytest.fixture
def small_segments(monkeypatch):
    monkeypatch.setattr(lexical_module, "SEGMENT_CHUNKS", 10)
    monkeypatch.setattr(lexical_module, "SMALL_SEGMENTS", 100)  # no merging unless a test asks


def build(folder, chunks) -> LexicalIndex:
    lex = LexicalIndex(folder)
    lex.replace((), chunks)
    lex.commit("d")
    return LexicalIndex(folder)  # as another process reads it


def test_segments_score_as_one_index(tmp_path, monkeypatch):
    chunks = docs(40)
    whole = build(tmp_path / "one", chunks)
    monkeypatch.setattr(lexical_module, "SEGMENT_CHUNKS", 7)
    monkeypatch.setattr(lexical_module, "SMALL_SEGMENTS", 100)
    split = build(tmp_path / "many", chunks)
    split._load(), whole._load()
    assert len(split._segments) == 6 and len(whole._segments) == 1
    for query in (["truce"], ["ganja", "missil"], ["drone", "drone", "border"], ["civilian", "nothing"]):
        a, b = whole.search(query, k=40), split.search(query, k=40)
        assert dict(a) == pytest.approx(dict(b), rel=1e-5), query
        assert [s for _, s in a] == sorted((s for _, s in a), reverse=True)


def test_filters_hold_in_every_segment(tmp_path, small_segments):
    lex = build(tmp_path, docs(40))
    def hits(f):
        return [cid for cid, _ in lex.search(WORDS, k=100, filters=f)]
    assert len(hits(None)) == 40
    assert {c.split("::")[0] for c in hits(Filters(articles=("art3", "art9")))} == {"art3", "art9"}
    assert all(int(c.split("::")[1]) % 2 for c in hits(Filters(parties=("armenia",)))) and len(hits(Filters(parties=("armenia",)))) == 20
    assert len(hits(Filters(outlets=("Outlet 1",)))) == 13
    assert len(hits(Filters(since="2020-08-25", until="2020-08-26"))) == 8  # two days of ten
    assert hits(Filters(parties=("nobody",))) == []


def test_deleted_articles_stay_deleted_and_segments_merge(tmp_path, small_segments, monkeypatch):
    lex = LexicalIndex(tmp_path)
    lex.replace((), docs(40))
    assert len(lex._open) == 0 and len(lex._segments) == 4  # sealed as it went: memory stays bounded
    lex.commit("d1")
    lex = LexicalIndex(tmp_path)
    assert lex.digest == "d1"
    lex.replace({"art0", "art1"}, docs(4, start=100))  # two articles gone, one new
    assert lex.digest is None  # changed and not committed: matches no digest
    assert len(lex) == 36 and not any(c.startswith(("art0::", "art1::")) for c in lex.ids())
    lex.commit("d2")
    again = LexicalIndex(tmp_path)
    assert again.digest == "d2" and len(again) == 36
    assert not any(c.startswith(("art0::", "art1::")) for c, _ in again.search(WORDS, k=100))
    # most of the rest goes: the emptied segments are merged away and their folders removed
    monkeypatch.setattr(lexical_module, "SMALL_SEGMENTS", 1)
    again.replace({f"art{i}" for i in range(2, 9)}, [])
    again.commit("d3")
    left = LexicalIndex(tmp_path)
    left._load()
    assert len(left) == 8 and len(left._segments) == 1  # art9 and art25
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == sorted(s.folder.name for s in left._segments)
    assert {c for c, _ in left.search(WORDS, k=100)} == left.ids()


def test_an_older_layout_is_not_read(tmp_path):
    (tmp_path / "manifest.json").write_text('{"layout": 2, "digest": "x", "segments": []}')
    assert LexicalIndex(tmp_path).digest is None  # the ingest's digest check rebuilds it


def test_count_and_passing_follow_filters_and_deletes(tmp_path, small_segments):
    lex = build(tmp_path, docs(40))
    assert len(lex.passing(None)) == lex.count(None) == 40
    both = Filters(parties=("armenia",), outlets=("Outlet 0",))
    assert sorted(lex.passing(both)) == sorted(f"art{i // 4}::{i % 4}" for i in range(3, 40, 6)) and lex.count(both) == 7
    assert lex.passing(Filters(since="2031-01-01")) == [] and lex.count(Filters(since="2031-01-01")) == 0
    lex.replace({"art0"}, [])
    assert lex.count(None) == len(lex.passing(None)) == 36


def test_allowed_keeps_the_ids_that_pass_in_order(tmp_path, small_segments):
    lex = build(tmp_path, docs(40))
    armenia = Filters(parties=("armenia",))
    ids = ["art9::3", "art0::0", "nowhere::0", "art0::1", "art2::1"]  # across segments, one unknown
    assert lex.allowed(ids, armenia) == ["art9::3", "art0::1", "art2::1"]
    assert lex.allowed(ids, None) == ["art9::3", "art0::0", "art0::1", "art2::1"]
    # re-ingested: dead in its old segment, live (now azerbaijan's) in a new one
    lex.replace({"art9"}, [("art9::3", ["truce"], {"article_id": "art9", "parties": ["azerbaijan"]})])
    lex.commit("d2")
    again = LexicalIndex(tmp_path)
    assert again.allowed(["art9::3"], armenia) == [] and again.allowed(["art9::3"], Filters(parties=("azerbaijan",))) == ["art9::3"]
    assert again.allowed(["art9::2"], None) == []  # deleted with its article
