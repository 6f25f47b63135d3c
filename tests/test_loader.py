"""The corpus loader: every format, stable ids, and bad files beside good ones."""
from __future__ import annotations

import json
from pathlib import Path

from assistant.ingest.loader import iter_corpus
from assistant.schema import Article, LoadIssue

from .conftest import CORPUS


def _load(folder: Path):
    items = list(iter_corpus(folder))
    return [i for i in items if isinstance(i, Article)], [i for i in items if isinstance(i, LoadIssue)]


def test_seed_article_front_matter_and_caption_is_metadata():
    articles, issues = _load(CORPUS)
    assert issues == []
    (a,) = articles
    assert a.id == "5955795cbc8a8a5d"
    assert a.published == "2020-10-04"
    assert a.language == "en"
    assert a.title.startswith("Armenia kills a civilian")
    assert "AFP File Photo" in a.metadata["photo_caption"]
    assert "AFP File Photo" not in a.text and "A man inspects a crater" not in a.text
    assert a.text.startswith("Azerbaijan's foreign ministry said on Sunday")


def test_every_format(tmp_path: Path):
    (tmp_path / "plain.txt").write_text("A plain title\n\nThe body says things. More body.\n", encoding="utf-8")
    (tmp_path / "fm.md").write_text("---\nid: custom-id\ntitle: FM title\npublished: 2021-01-02\nsource: Daily\n---\nBody of fm.\n")
    (tmp_path / "page.html").write_text(
        "<html><head><title>Page title</title><script>alert(1)</script></head><body><nav>Menu Home</nav>"
        "<article><h1>Page title</h1><p>" + "The ministry said the bridge was hit on Monday. " * 8 + "</p></article></body></html>"
    )
    (tmp_path / "one.json").write_text(json.dumps({"id": "j1", "title": "J", "body": "Json body.", "extra": 5}))
    (tmp_path / "many.jsonl").write_text(
        json.dumps({"id": "l1", "text": "Line one text.", "url": "http://x"}) + "\n" + json.dumps({"text": "Untitled line two."}) + "\n"
    )
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "nested.txt").write_text("Nested title\nNested body.")
    articles, issues = _load(tmp_path)
    assert [i for i in issues if i.level == "error"] == []
    by_id = {a.id: a for a in articles}
    assert set(by_id) == {"plain", "custom-id", "page", "j1", "l1", "many#2", "sub/nested"}
    assert by_id["plain"].title == "A plain title" and by_id["plain"].text.startswith("The body says")
    assert by_id["custom-id"].published == "2021-01-02" and by_id["custom-id"].source == "Daily"
    assert "bridge was hit" in by_id["page"].text and "alert(1)" not in by_id["page"].text
    assert by_id["j1"].text == "Json body." and by_id["j1"].metadata == {"extra": 5}
    assert by_id["l1"].url == "http://x"
    # ids do not change between loads
    assert [a.id for a in _load(tmp_path)[0]] == [a.id for a in articles]


def test_bad_files_are_reported_and_good_ones_still_load(tmp_path: Path):
    (tmp_path / "good.md").write_text("---\ntitle: Good\n---\nA good body.\n")
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02binary")
    (tmp_path / "broken.md").write_text("---\ntitle: [unclosed\n---\nBody\n")
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "lines.jsonl").write_text('{"id": "ok1", "text": "Fine."}\n{oops\n{"id": "nt"}\n{"id": "ok2", "text": "Also fine."}\n')
    (tmp_path / "latin1.txt").write_bytes("Caf\xe9 title\nCaf\xe9 body.".encode("latin-1"))
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    articles, issues = _load(tmp_path)
    assert sorted(a.id for a in articles) == ["good", "latin1", "ok1", "ok2"]
    text = "\n".join(map(str, issues))
    for needle in ["empty.txt: file is empty", "binary.txt: binary file", "broken.md: malformed YAML front matter",
                   "bad.json: invalid JSON", "lines.jsonl:2: invalid JSON", "lines.jsonl:3: missing field 'text'",
                   "latin1.txt: not valid UTF-8", "image.png: unsupported file type"]:
        assert needle in text, f"{needle!r} not in {text}"
    assert next(a for a in articles if a.id == "latin1").title == "Café title"


def test_missing_corpus_folder_is_one_clear_issue(tmp_path: Path):
    articles, issues = _load(tmp_path / "nope")
    assert articles == [] and "corpus folder not found" in issues[0].reason


def test_bad_date_keeps_the_article_with_a_warning(tmp_path: Path):
    (tmp_path / "a.md").write_text("---\ntitle: T\npublished: last tuesday\n---\nBody text.\n")
    articles, issues = _load(tmp_path)
    assert [a.id for a in articles] == ["a"] and articles[0].published is None
    assert issues[0].level == "warning" and "'last tuesday' is not a date" in issues[0].reason


def test_json_lines_are_read_as_a_stream(tmp_path: Path, monkeypatch):
    from assistant.ingest import loader

    lines = [b"\xef\xbb\xbf" + json.dumps({"id": "a", "text": "First report."}).encode(), b"",
             json.dumps({"id": "b", "text": "Caf\u00e9 shelled."}, ensure_ascii=False).encode("cp1252"), b"{broken",
             json.dumps({"id": "c", "text": "Third report."}).encode()]
    path = tmp_path / "archive.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    # the archive is larger than a single article may be, yet every article in it loads
    items = list(loader.load_file(path, tmp_path, max_chars=20))
    articles = [i for i in items if isinstance(i, Article)]
    issues = [i for i in items if isinstance(i, LoadIssue)]
    assert [a.id for a in articles] == ["a", "b", "c"] and articles[1].text == "Café shelled."
    assert [(i.path.endswith(":4"), i.level) for i in issues] == [(False, "warning"), (True, "error")]
    monkeypatch.setattr(Path, "read_bytes", lambda self: (_ for _ in ()).throw(AssertionError("read whole")))
    assert len([i for i in loader.load_file(path, tmp_path) if isinstance(i, Article)]) == 3
    (tmp_path / "empty.jsonl").write_text("\n\n")
    assert [i.reason for i in loader.load_file(tmp_path / "empty.jsonl", tmp_path)] == ["file is empty"]
