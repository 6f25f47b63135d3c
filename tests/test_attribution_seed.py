"""Every sentence of the bundled seed article, with who says it: the expected table.

Traps: the Defense Ministry's statement carries the outlet's apposition ("a city of more than
330,000"); the outlet's editorial sentences name one side ("as recognized by ... the U.N." is
still the outlet); a denial; a claim reported second-hand (Yerevan's ministry claims what the
separatists did: the party is the one that claims); "declared a state of war" is an act.
"""
from __future__ import annotations

import pytest

from assistant.attribution.engine import attribute_article, attribute_text
from assistant.attribution.parties import PartyRegistry
from assistant.ingest.loader import iter_corpus
from assistant.schema import Article

from .conftest import CORPUS

HAJ = ("direct", "Hikmet Hajiyev", "azerbaijan")
OUT = ("unattributed", None, "outlet")

# (sentence opening, [(kind, speaker, party), ...] in reading order)
EXPECTED = [
    ("Azerbaijan's foreign ministry said on Sunday", [("indirect", "Azerbaijan's foreign ministry", "azerbaijan")]),
    ("In statements posted on its website", [("indirect", "Azerbaijan's Defense Ministry", "azerbaijan")]),
    ('"Indiscriminate missile attacks', [HAJ]),
    ("Ganja is the second biggest city", [HAJ]),
    ('"Armenia as state and insane', [HAJ]),
    ("Azerbaijan will continue to defend", [HAJ]),
    ('"Azerbaijan will destroy military targets', [HAJ]),
    ("Armenia denied that it fired", [("indirect", "Armenia", "armenia"),
                                      ("indirect", 'leader of the so-called "Artsakh Republic" in Nagorno-Karabakh', "karabakh")]),
    ('"Permanent military units', [("direct", "Arayik Harutyunyan", "karabakh")]),
    ("Azerbaijani authorities said earlier", [("indirect", "Azerbaijani authorities", "azerbaijan")]),
    ("In Stepanakert, an Agence France-Presse", [("indirect", "Agence France-Presse (AFP) team on the ground", "afp")]),
    ("Clashes between separatist Armenian militants", [OUT, ("indirect", "Armenia", "armenia"), ("indirect", "Armenia's leader", "armenia")]),
    ("Yerevan's Ministry of Defense claimed", [("indirect", "Yerevan's Ministry of Defense", "armenia")]),
    ("Armenia also announced the deaths", [("indirect", "Armenia", "armenia")]),
    ("Azerbaijan's Ministry of Defense meanwhile said", [("indirect", "Azerbaijan's Ministry of Defense", "azerbaijan"),
                                                         ("indirect", "Ilham Aliyev", "azerbaijan")]),
    ("Aliyev said in a television interview", [("indirect", "Ilham Aliyev", "azerbaijan")]),
    ("The new clashes erupted on Sept. 27", [OUT]),
    ("Border clashes broke out last Sunday", [OUT]),
    ("Azerbaijan's parliament declared a state of war", [OUT]),
    ("On Monday, Azerbaijan declared partial", [OUT]),
    ("Relations between the two former Soviet nations", [OUT]),
    ("Four U.N. Security Council (UNSC)", [("indirect", "Four U.N. Security Council (UNSC) and two U.N. General Assembly (UNGA) resolutions", "un")]),
]


@pytest.fixture(scope="module")
def seed():
    article = next(a for a in iter_corpus(CORPUS) if isinstance(a, Article))
    registry = PartyRegistry.load(CORPUS)
    return article, registry, attribute_article(article.text, registry)


def test_sentence_count(seed):
    _, _, sentences = seed
    assert len(sentences) == len(EXPECTED)


@pytest.mark.parametrize("i", range(len(EXPECTED)))
def test_sentence(seed, i):
    article, _, sentences = seed
    opening, expected = EXPECTED[i]
    s = sentences[i]
    assert article.text[s.start:s.end].startswith(opening)
    got = [(a.kind, a.speaker, a.party) for a in s.attributions]
    assert got == expected


def test_headline_is_the_outlets(seed):
    article, registry, _ = seed
    assert [(a.kind, a.party) for a in attribute_text(article.title, registry)] == [("unattributed", "outlet")]


def test_descriptions_cues_and_spans(seed):
    article, _, sentences = seed
    attrs: dict = {}
    for s in sentences:
        for a in s.attributions:
            attrs.setdefault((a.speaker, a.cue.text if a.cue else None), a)  # the first of each
    hajiyev = attrs[("Hikmet Hajiyev", "said")]
    assert hajiyev.speaker_description == "President Ilham Aliyev's aide"
    # the quote runs over two sentences: one content span for both
    assert hajiyev.content.text.startswith("Indiscriminate") and hajiyev.content.text.endswith("500.000+ population")
    harutyunyan = attrs[("Arayik Harutyunyan", "said")]
    assert harutyunyan.speaker_description.startswith("the leader of the unrecognized proxy state")
    assert attrs[("Armenia", "denied")].content.text == "that it fired toward Azerbaijan"
    assert attrs[("Yerevan's Ministry of Defense", "claimed")].content.text.startswith("that separatists in Karabakh repelled")
    assert ("Hikmet Hajiyev", "added") in attrs
    for s in sentences:
        for a in s.attributions:
            for span in (a.content, a.source, a.cue):
                if span is not None:
                    assert article.text[span.start:span.end] == span.text


def test_unconfigured_corpus_still_says_who():
    text = 'Reuters reported that the bridge was hit. "We will rebuild it," said Jane Doe, the mayor.'
    attrs = attribute_text(text, PartyRegistry())
    assert [(a.speaker, a.party) for a in attrs] == [("Reuters", "reuters"), ("Jane Doe", "jane-doe")]
