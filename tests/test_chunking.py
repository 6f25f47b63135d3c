"""Chunks never cut a sentence and keep exact offsets into the article."""
from __future__ import annotations

import json
import random

import pytest

from assistant.attribution.engine import attribute_article
from assistant.ingest.chunker import chunk_article
from assistant.ingest.loader import iter_corpus
from assistant.ingest.sentences import split_sentences
from assistant.schema import Article

from .conftest import CORPUS


def _seed() -> Article:
    return next(a for a in iter_corpus(CORPUS) if isinstance(a, Article))


@pytest.mark.parametrize("size", [50, 200, 800, 5000])
def test_offsets_and_whole_sentences(size):
    art = _seed()
    sentences = attribute_article(art.text, None)
    chunks = chunk_article(art, sentences, size=size)
    bounds = {(s.start, s.end) for s in sentences}
    for c in chunks:
        assert art.text[c.start:c.end] == c.text
        assert (c.sentences[0].start, c.sentences[-1].end) == (c.start, c.end)
        assert all((s.start, s.end) in bounds for s in c.sentences)
        assert len(c.text) <= size or len(c.sentences) == 1
    # every sentence lands in exactly one chunk, in order
    assert [s for c in chunks for s in c.sentences] == sentences


def test_overlap_repeats_sentences():
    art = _seed()
    sentences = attribute_article(art.text, None)
    chunks = chunk_article(art, sentences, size=300, overlap=1)
    assert all(a.sentences[-1] == b.sentences[0] for a, b in zip(chunks, chunks[1:]) if len(a.sentences) > 1)


def test_random_texts_keep_offsets():
    rng = random.Random(7)
    words = ["Ganja", "said", "the", "ministry.", "Füzuli", "“Yes,”", "he", "U.N.", "Sept.", "27", "\n\n", "attack!"]
    for _ in range(50):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 120)))
        art = Article(id="r", title="", text=text)
        for a, b in split_sentences(text):
            assert text[a:b].strip() == text[a:b] and text[a:b]
        for c in chunk_article(art, attribute_article(text, None), size=rng.randint(20, 300)):
            assert text[c.start:c.end] == c.text


def test_sentence_offsets_are_the_wrappers():
    """``sentence_offsets`` calls Bling Fire's C side itself and maps bytes to characters with
    numpy; it must give what the library's own wrapper gives, whatever the script."""
    import blingfire

    from assistant.ingest.sentences import sentence_offsets

    rng = random.Random(11)
    words = ["Ganja", "said", "Füzuli.", "“Yes,”", "日本語の文。", "😀", "U.N.", "Sept.", "attack!", "\u200b", "Ёлка?", "—", "e\u0301"]
    texts = ["\u200b" * 7, "Mr. Smith went. He said “Hi”.  \t End", "a"]
    texts += [" ".join(rng.choice(words) for _ in range(rng.randint(1, 60))) for _ in range(300)]
    for text in texts:
        assert sentence_offsets(text) == [tuple(x) for x in blingfire.text_to_sentences_and_offsets(text)[1]], text


def test_sentences_stored_compactly_and_read_back_exactly():
    from dataclasses import replace

    from assistant.attribution.parties import PartyRegistry
    from assistant.schema import Chunk, Span

    art = _seed()
    chunks = chunk_article(art, attribute_article(art.text, PartyRegistry.load(CORPUS)), 800, 1)
    assert any(a.source for c in chunks for s in c.sentences for a in s.attributions)
    for c in chunks:
        rows = c.sentence_rows()
        raw = json.dumps(rows, ensure_ascii=False)
        assert Chunk.sentences_from_rows(json.loads(raw), c.text, c.start) == c.sentences
        inside = [a.content.text for s in c.sentences for a in s.attributions if a.content.start >= c.start and a.content.end <= c.end]
        assert not any(len(t) > 20 and t in raw for t in inside)  # offsets only: the chunk text holds them
    # a sentence all in the outlet's voice is its offsets alone
    assert any(len(row) == 2 for c in chunks for row in c.sentence_rows())
    assert all(Chunk.parties_of_rows(c.sentence_rows()) == sorted({a.party for s in c.sentences for a in s.attributions})
               for c in chunks)
    # a span the chunk's text does not hold keeps its own text
    c = chunks[1]
    s0 = c.sentences[0]
    odd = replace(s0.attributions[0], cue=Span("elsewhere", 0, 9))
    moved = replace(c, sentences=(replace(s0, attributions=(odd,)),))
    assert Chunk.sentences_from_rows(moved.sentence_rows(), c.text, c.start)[0].attributions[0].cue.text == "elsewhere"
