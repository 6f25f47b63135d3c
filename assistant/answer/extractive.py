"""The extractive answerer: the retrieved sentences that answer the question, as claims.

Each claim is a sentence (or, where a sentence carries several parties' words, the piece
each party said) quoted exactly from its passage, cited as ``[n]`` and marked with the party,
speaker, cue and kind the attribution engine found at ingest. Claims are grouped by party so
that each side's account stands apart. When no sentence holds enough of the question's key
terms the answer is ``found: false``, with no claims and no sources.

Example:
    >>> from assistant import Assistant
    >>> ans = Assistant(corpus="corpus").ask("How many civilians were killed in Ganja?")
    >>> ans.found, ans.claims[0].party
    (True, 'azerbaijan')
"""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from ..attribution.parties import PartyRegistry
from ..embedding.model import Embedder
from ..schema import OUTLET, Answer, Attribution, Claim, Passage, Sentence, Source
from ..text import terms
from .render import finished

NOT_FOUND = "Nothing in the corpus answers this question."
LEXICAL_WEIGHT = 0.7


@dataclass(frozen=True)
class _Candidate:
    passage_rank: int
    passage: Passage
    sentence: Sentence
    text: str
    score: float
    coverage: float


def _pieces(sentence: Sentence, text: str, offset: int) -> list[tuple[str, Attribution | None]]:
    """The sentence cut where another party starts speaking; each piece with its attribution."""
    attrs = sorted(sentence.attributions, key=lambda a: a.region[0])
    if len({a.party for a in attrs}) <= 1:
        return [(text[sentence.start - offset:sentence.end - offset], attrs[0] if attrs else None)]
    pieces = []
    for i, a in enumerate(attrs):
        start = sentence.start if i == 0 else max(a.region[0], sentence.start)
        end = sentence.end if i + 1 == len(attrs) else max(attrs[i + 1].region[0], start)
        piece = text[start - offset:end - offset].strip()
        piece = re.sub(r"(?:,?\s+(?:and|but|while|with)|[,;])$", "", piece).strip()
        if piece:
            pieces.append((piece, a))
    # merge neighbours of one party ("X said A" + "and X added B")
    merged: list[tuple[str, Attribution | None]] = []
    for piece, a in pieces:
        if merged and merged[-1][1] is not None and a is not None and merged[-1][1].party == a.party:
            continue
        merged.append((piece, a))
    return merged or [(text[sentence.start - offset:sentence.end - offset], attrs[0])]


# a capitalised word (U.N. and U.S. included) not opening a sentence, and the capitalised words after it
_WORD = r"[A-Z](?:[\w’'-]|\.(?=\w))*"
_PROPER = re.compile(rf"(?<![.!?]\s)(?<!^)\b{_WORD}(?:[ \t]+{_WORD})*")
# days and months are capitalised but name no subject
_CALENDAR = set("monday tuesday wednesday thursday friday saturday sunday january february march april may june "
                "july august september october november december sept oct nov dec jan feb aug".split())


def unknown_names(question: str, passages: Sequence[Passage]) -> list[str]:
    """The names of the question (capitalised words inside a sentence) when none of them is in
    any passage or title: a question about Tbilisi is not answered by passages about Ganja,
    however many of its other words they share. A name counts as mentioned when a word of the
    passages starts with it or it with that word (Fiji, Fijian)."""
    known = set(terms(" ".join(f"{p.title} {p.chunk.text}" for p in passages)))
    stems = {k[:4] for k in known if len(k) >= 4}

    def mentioned(term: str) -> bool:
        if term in known:
            return True
        return len(term) >= 4 and term[:4] in stems and any(k.startswith(term) or term.startswith(k)
                                                             for k in known if k[:4] == term[:4])

    names = [m.group(0) for m in _PROPER.finditer(question.strip())]
    # short acronyms (US, U.N., EU) are left out: a passage may spell them out instead
    names = [n for n in names if not re.fullmatch(r"(?:[A-Z]\.?){1,3}", n)]
    named = [(n, [t for t in terms(n) if t not in _CALENDAR]) for n in names]
    named = [(n, t) for n, t in named if t]
    if named and not any(any(mentioned(x) for x in t) for _, t in named):
        return [n for n, _ in named]
    return []


def _whole_quote(passage: Passage, sentence: Sentence) -> Sentence:
    """The sentence widened to the whole quotation it belongs to, with its speaker and cue, when
    one party's direct quote runs over several sentences of the chunk: a reader wants the quote
    whole, and "..., he said in a tweet" ends the last sentence only."""
    attrs = sentence.attributions
    if not attrs or len({a.party for a in attrs}) > 1 or any(a.kind != "direct" for a in attrs):
        return sentence
    start = min(a.region[0] for a in attrs)
    end = max(a.region[1] for a in attrs)
    c = passage.chunk
    start = start if c.start <= start < sentence.start else sentence.start
    end = end if sentence.end < end <= c.end else sentence.end
    if (start, end) == (sentence.start, sentence.end):
        return sentence
    # the widened span ends at a sentence end of the chunk, so no sentence is cut
    ends = [x.end for x in c.sentences if x.end >= end]
    starts = [x.start for x in c.sentences if x.start <= start]
    return Sentence(max(starts) if starts else start, min(ends) if ends else end, attrs)


def _sentence_text(passage: Passage, sentence: Sentence) -> str:
    c = passage.chunk
    return c.text[sentence.start - c.start:sentence.end - c.start]


def answer_extractively(
    question: str,
    passages: Sequence[Passage],
    registry: PartyRegistry,
    embedder: Embedder,
    max_claims: int = 6,
    min_score: float = 0.34,
    retrieval_query: str | None = None,
    parties: Sequence[str] = (),
) -> Answer:
    """Pick the answering sentences of ``passages`` and make them claims (only ``parties``'
    claims when given)."""
    missing = unknown_names(question, passages)
    if missing:
        return Answer(question=question, answer=f"{NOT_FOUND} No passage found mentions {', '.join(missing)}.", found=False)
    q_terms = set(terms(retrieval_query or question))
    own_terms = set(terms(question))
    candidates: list[_Candidate] = []
    for rank, p in enumerate(passages):
        for s in p.chunk.sentences:
            if parties and not any(a.party in parties for a in s.attributions):
                continue
            text = _sentence_text(p, s)
            s_terms = set(terms(text))
            cov = len(q_terms & s_terms) / len(q_terms) if q_terms else 0.0
            own = len(own_terms & s_terms) / len(own_terms) if own_terms else 0.0
            candidates.append(_Candidate(rank, p, s, text, 0.0, max(cov, own)))
    if not candidates:
        return Answer(question=question, answer=NOT_FOUND, found=False)
    vectors = embedder.encode([retrieval_query or question] + [c.text for c in candidates])
    sims = vectors[1:] @ vectors[0]
    scored = [
        _Candidate(c.passage_rank, c.passage, c.sentence, c.text,
                   LEXICAL_WEIGHT * c.coverage + (1 - LEXICAL_WEIGHT) * float(max(sim, 0.0)), c.coverage)
        for c, sim in zip(candidates, np.asarray(sims))
    ]
    chosen: list[_Candidate] = []
    seen_text: set[str] = set()
    for c in sorted(scored, key=lambda c: (-c.score, c.passage_rank)):
        if c.coverage < min_score or len(chosen) >= max_claims:
            continue
        key = re.sub(r"\W+", " ", c.text.lower()).strip()
        whole = _whole_quote(c.passage, c.sentence)
        if key in seen_text or any(o.passage.chunk.id == c.passage.chunk.id and o.sentence.start < whole.end
                                   and whole.start < o.sentence.end for o in chosen):
            continue
        seen_text.add(key)
        chosen.append(replace(c, sentence=whole))
    if not chosen:
        return Answer(question=question, answer=NOT_FOUND, found=False)
    return _compose(question, chosen, registry, q_terms, parties)


def party_name(registry: PartyRegistry, attribution: Attribution | None) -> str:
    if attribution is None:
        return registry.name(OUTLET)
    configured = {p.id for p in registry.parties}
    if attribution.party in configured or attribution.party == OUTLET:
        return registry.name(attribution.party)
    return registry.resolve(attribution.speaker, attribution.speaker_description).party_name


def _compose(
    question: str, chosen: list[_Candidate], registry: PartyRegistry, q_terms: set[str], parties: Sequence[str] = ()
) -> Answer:
    sources: dict[str, Source] = {}
    claims: list[Claim] = []
    for c in chosen:
        chunk = c.passage.chunk
        if chunk.id not in sources:
            sources[chunk.id] = Source(
                n=len(sources) + 1,
                article_id=chunk.article_id,
                title=c.passage.title,
                passage=chunk.text,
                start=chunk.start,
                end=chunk.end,
                url=c.passage.url,
                published=c.passage.published,
                outlet=c.passage.source,
            )
        n = sources[chunk.id].n
        pieces = _pieces(c.sentence, chunk.text, chunk.start)
        if parties:
            pieces = [pc for pc in pieces if (pc[1].party if pc[1] else OUTLET) in parties]
        if len(pieces) > 1:  # keep the pieces that speak to the question, or all of them
            relevant = [pc for pc in pieces if q_terms & set(terms(pc[0]))]
            pieces = relevant or pieces
        for text, a in pieces:
            claims.append(
                Claim(
                    text=text,
                    quote=text,
                    party=a.party if a else OUTLET,
                    party_name=party_name(registry, a),
                    speaker=a.speaker if a else None,
                    cue=a.cue.text if a and a.cue else None,
                    kind=a.kind if a else "unattributed",
                    sources=(n,),
                )
            )
    return finished(question, claims, list(sources.values()))
