"""Attribution patterns beyond the seed article: each case is one construction of news English."""
from __future__ import annotations

import pytest

from assistant.attribution.engine import attribute_text
from assistant.attribution.lexicon import CUE_WORDS, lemma_of


def _said(text: str) -> list[tuple[str, str | None, str | None, str]]:
    return [(a.kind, a.speaker, a.cue.text if a.cue else None, a.content.text)
            for a in attribute_text(text) if a.kind != "unattributed"]


def test_quote_split_around_its_cue_is_one_attribution():
    got = _said('"We will not retreat," she said, "and we will rebuild every house."')
    assert len(got) == 1
    kind, speaker, cue, content = got[0]
    assert (kind, speaker, cue) == ("direct", "she", "said")
    assert content.startswith("We will not retreat") and content.endswith("rebuild every house")


def test_relative_clause_speaker_resolves_to_its_noun_phrase():
    got = attribute_text("Protesters gathered with local leaders who say the law unfairly targets farmers.")
    a = next(a for a in got if a.kind == "indirect")
    assert a.source.text == "who" and a.speaker == "local leaders"
    assert a.content.text == "the law unfairly targets farmers"


def test_apposition_with_relative_clause_keeps_the_name():
    got = attribute_text("Joe Bateman, who traveled from Illinois to help, says the campaign has momentum.")
    a = next(a for a in got if a.kind == "indirect")
    assert a.speaker == "Joe Bateman" and a.speaker_description.startswith("who traveled")


def test_addressee_is_not_content():
    assert _said("The minister told reporters he would resign.")[0][3] == "he would resign"
    assert _said("Smith told Fox News on Sunday that the talks had failed.")[0][3] == "that the talks had failed"


def test_cue_followed_only_by_its_setting_takes_the_content_before():
    got = _said("The ceasefire will hold, the commander said in a video message.")
    assert got == [("indirect", "commander", "said", "The ceasefire will hold")]


def test_acts_are_not_speech():
    assert _said("Azerbaijan's parliament declared a state of war.") == []
    assert _said("The rebels claimed responsibility for the attack.") == []
    assert _said("He is said to be in Moscow.") == []


def test_intentions_and_zero_that_clauses():
    assert _said("Mr. Cruz pledged to oppose legal status.")[0][1:3] == ("Mr. Cruz", "pledged")
    assert _said("Officials believe the dam was hit by a missile.")[0][3] == "the dam was hit by a missile"


def test_phrasal_cues_and_lexicon():
    assert _said("Rubio fired back at Christie over the state's credit rating.")[0][2] == "fired back"
    assert {"pointed out", "warned", "denying"} <= CUE_WORDS
    assert lemma_of("pointed out") == "point out" and lemma_of("denied") == "deny"


@pytest.mark.parametrize("label", ["UPDATE: the polls have closed in Iowa.", "WASHINGTON: the Senate voted today."])
def test_labels_are_not_speakers(label):
    assert _said(label) == []


def test_colon_lead_names_the_speaker():
    got = _said("Graham: Trump's rhetoric is destroying the party's chances.")
    assert got[0][1:3] == ("Graham", ":")


def test_full_name_search_near_the_surname_finds_what_a_full_scan_finds():
    """``_names_ending_in`` tries only just before each occurrence of the surname, and without the
    full-name pattern; over random texts it must find exactly what that pattern's ``finditer``
    over the whole prefix finds."""
    import random
    import re

    from assistant.attribution.engine import _names_ending_in

    rng = random.Random(3)
    words = ["Ilham", "Aliyev", "Aliyevs", "President", "(Ilham", "Mr.", "said", "the", "O'Neil", "Smith", "Smith-Jones",
             "\n", ",", "McSmith", "Jean-Paul", "Dr.", "Ali", "Über", "“Smith", "U.S.", "Smith’s"]
    for _ in range(400):
        text = "".join(rng.choice(words) + rng.choice([" ", "  ", "\n", "", "\t"]) for _ in range(rng.randint(1, 40)))
        for surname in ("Smith", "Aliyev", "Ali", "Smith’"):  # the last ends in no word character
            pos = rng.randint(0, len(text))
            full = re.compile(r"(?:[A-Z][\w’'.-]+\s+){1,3}" + re.escape(surname) + r"\b")
            want = [(m.start(), m.end()) for m in full.finditer(text, 0, pos)]
            assert list(_names_ending_in(text, surname, pos)) == want, (text, surname, pos)


def test_merged_spans_and_the_word_before_a_cue_match_their_plain_forms():
    """Two shortcuts of the cue loop against what they replace, over random input: a position in
    the merged spans as in any span, and the word before a cue read from the last two runs of
    non-space as from the whole sentence before it."""
    import random

    from assistant.attribution.engine import _WORD_BEFORE, _Spans, _inside, _words_back

    rng = random.Random(5)
    for _ in range(2000):
        spans = [(a, a + rng.randint(-3, 12)) for a in (rng.randint(0, 60) for _ in range(rng.randint(0, 8)))]
        merged = _Spans(spans)
        assert all((pos in merged) == _inside(pos, spans) for pos in range(-2, 80)), spans
    words = ["was", "not", "also", "being", "said", "well-known", "O'Neil", "it’s", "—", ",", "(he", "\n", "  "]
    for _ in range(3000):
        text = "".join(rng.choice(words) + rng.choice([" ", "  ", "\n", "", "\t"]) for _ in range(rng.randint(0, 12)))
        start, end = sorted(rng.randint(0, len(text)) for _ in range(2))
        want = _WORD_BEFORE.search(text[start:end])
        got = _WORD_BEFORE.search(text, _words_back(text, end, 2, start), end)
        assert (want and (want.start() + start, want.group(1))) == (got and (got.start(), got.group(1))), (text, start, end)
