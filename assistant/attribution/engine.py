"""Rule-based attribution: who said what, for every sentence of an article.

Over the sentence splitter and a cue lexicon it finds direct quotes (also over several
sentences and split around their cue), reported speech (``X said that ...``, ``according to
X``, ``..., X said.``) and leaves the rest to the outlet's own voice. Speakers are resolved
(pronouns, surnames, "the ministry") to the full name met earlier in the article, appositions
are kept as the speaker's description, and the party comes from the registry.

Example:
    >>> from assistant.attribution.parties import PartyRegistry
    >>> reg = PartyRegistry.from_dicts([{"id": "armenia", "name": "Armenia", "aliases": ["Yerevan"]}])
    >>> text = "Yerevan's Ministry of Defense claimed that separatists repelled an attack."
    >>> [(a.kind, a.speaker, a.party, a.cue.text) for a in attribute_text(text, reg)]
    [('indirect', "Yerevan's Ministry of Defense", 'armenia', 'claimed')]
"""
from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..ingest.sentences import split_sentences
from ..schema import Attribution, Sentence, Span, outlet_voice
from .parties import PartyRegistry

from .lexicon import CUE_WORDS, NOUN_LIKE, THAT_ONLY_WORDS, complements, lemma_of

_ADDRESSEE = {"tell", "assure", "inform", "remind", "warn", "advise", "ask", "urge", "caution", "promise", "tweet"}
_NEVER_NOUN = {"say", "tell", "insist", "argue", "explain", "deny", "assert", "allege", "contend", "concede", "testify"}
_BE = {"is", "was", "are", "were", "be", "been", "being", "'s", "’s"}

_PRONOUNS = {"he", "she", "they", "it", "we", "i", "you"}
_PERSONAL = {"he", "she"}
_ADVERBS = {"also", "later", "meanwhile", "earlier", "previously", "again", "then", "still", "had", "has", "have",
            "was", "were", "will", "would", "could", "may", "might", "did", "does", "do", "once", "repeatedly",
            "separately", "recently", "subsequently", "further", "not", "never", "reportedly", "publicly",
            "privately", "just", "already", "first", "initially", "originally", "finally", "quickly", "angrily",
            "flatly", "strongly", "firmly", "openly", "officially", "immediately", "is", "are", "been"}
_TITLES = re.compile(
    r"^(?:(?:the|former|then|acting|deputy|vice|u\.s\.|us)\s+)*(?:president|prime minister|minister|mr\.?|mrs\.?|ms\.?|dr\.?|"
    r"gen\.?|general|sen\.?|senator|rep\.?|representative|gov\.?|governor|chancellor|king|queen|pope|secretary|spokesman|"
    r"spokeswoman|spokesperson|aide|adviser|advisor|ambassador|commander|chief|leader|mayor|judge|officer|official)\s+",
    re.I,
)
# Nouns that can head a speaker noun phrase without a capital letter.
_SPEAKER_NOUNS = re.compile(
    r"\b(?:officials?|sources?|spokes(?:man|woman|person)|ministry|ministries|government|authorities|police|"
    r"witness(?:es)?|residents?|experts?|analysts?|observers?|reporters?|correspondents?|journalists?|team|"
    r"officers?|commanders?|leaders?|leadership|president|minister|army|military|forces|office|agency|"
    r"statement|report|reports|resolutions?|organi[sz]ations?|groups?|aides?|advis[eo]rs?|lawyers?|"
    r"diplomats?|critics?|supporters?|campaign|people|voters|scientists|researchers|doctors|someone|others?|"
    r"person|man|woman|men|women|fans|members?|delegates?|democrats|republicans|polls?|surveys?|study|studies|"
    r"data|ads?|letters?|memo|website|article|book|editorial|documents?|filings?|spokesperson|staff|aides?)\b",
    re.I,
)
_ORG_WORDS = re.compile(
    r"\b(?:ministry|ministries|government|authorities|army|military|forces|office|agency|council|assembly|"
    r"parliament|committee|party|team|police|organi[sz]ation|union|department|commission|campaign|"
    r"resolutions?|news|press|times|post|journal|agency)\b",
    re.I,
)

_QUOTE_OPEN = "\"“«„"
_OPENER = re.compile("[\"“«„]")
_PARAGRAPH = re.compile(r"[^\n]+")
_QUOTE_CLOSE = "\"”»“"
_MIN_QUOTE_WORDS = 4  # shorter quoted bits ("massive attack") are scare quotes inside other speech
_WORD = re.compile(r"[\w’'.-]+")
_CUE_RE = re.compile(r"(?<![\w-])(" + "|".join(sorted((w.replace(" ", r"\s+") for w in CUE_WORDS), key=len, reverse=True))
                     + r")(?![\w-])", re.I)
# The alternation of every cue form is slow to try at each character; it is tried only where a
# word starts that some cue form starts with (cue forms are lowercase letters and spaces).
_CUE_FIRST = frozenset(w.split()[0] for w in CUE_WORDS)
_WORD_START = re.compile(r"(?<![\w-])[^\W\d_]+")
# a cue before a quote ends the text before it in ":" or ","; tried only where that holds
_CUE_BEFORE_QUOTE = re.compile(r"(?P<src>[^,;:\"“”]{1,120}?)\s+(?:(?:\w+ly|also|later|then|has|had)\s+)*(?P<cue>"
                               + _CUE_RE.pattern + r")\b[^\"“”:]{0,60}?[:,]\s*$")
_ENDS_LEADING_IN = re.compile(r"[:,]\s*$")
# after a quote: '..." said X' and '..." X said'
_LEADING_COMMA = re.compile(r"^\s*,?\s*")
_CUE_THEN_SOURCE = re.compile(r"^(?:(?P<adv1>\w+ly)\s+)?(?P<cue>" + _CUE_RE.pattern + r")\s+(?P<rest>.+)$", re.S)
_THAT_NEXT = re.compile(r"^(?:that|the\s+\w+\s+that)\b")
_SOURCE_THEN_CUE = re.compile(r"^(?P<src>[^,;\"“”]{1,120}?)\s+(?:(?:\w+ly|also|later|then|added|has|had)\s+)*(?P<cue>"
                              + _CUE_RE.pattern + r")\b")


def _cues(text: str, start: int, end: int) -> Iterator[re.Match]:
    """What ``_CUE_RE.finditer(text, start, end)`` finds, in the same order, without trying the
    alternation at positions where no cue can start."""
    pos = start
    for w in _WORD_START.finditer(text, start, end):
        if w.start() < pos or w.group().lower() not in _CUE_FIRST:
            continue
        m = _CUE_RE.match(text, w.start(), end)
        if m:
            yield m
            pos = m.end()
# A clause with its "that" left out: "they learned their candidate had won", "suggest it would"
_ZERO_THAT = re.compile(
    r"^\s+(?:(?:he|she|it|they|we|I|you|there)\s+(?!to\b)\w+|"
    r"(?:the|a|an|his|her|its|their|our|this|these|those|[A-Z][\w’'.-]*)(?:\s+[\w’'.-]+){0,4}?\s+"
    r"(?:is|are|was|were|will|would|could|can|should|has|had|have|must|may|might|did|does|do|won't|wouldn't|isn't|wasn't)\b)")
_ACCORDING = re.compile(r"\baccording to\s+", re.I)
_BOUNDARY = re.compile(r"(?:,\s+(?:but|and|while|whereas|as|with)\s+|;\s+|\s+but\s+|,\s+|\s+(?:while|whereas)\s+)", re.I)
_AND = re.compile(r"\s+and\s+", re.I)
_THAT_AFTER = re.compile(
    r"^((?:\s+(?:on|in|at|to|during|earlier|later|last|this|late|early|via|through|over|after|before|from|\w+day|instead|again|also|repeatedly)\b[^;\"“”]{0,60}?)?"
    r",?\s+that)\b",
    re.I,
)
_ADDRESSEE_THAT = re.compile(r"^(\s+(?:[\w.’'-]+\s+){1,5}?that)\b")
# "told reporters he ...", "told CNN the ...": the addressee is not part of what was said
_ADDRESSEE_NP = re.compile(
    r"^\s+(?:him|her|them|us|me|you|reporters|journalists|supporters|voters|the\s+(?:crowd|audience|AP|BBC|paper|newspaper)|"
    r"(?:the\s+)?[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,3})"
    r"(?:\s+(?:on|in)\s+\w+day)?[\s,:]+(?=(?:he|she|they|it|we|I|there|the|a|his|her|their|its|this)\b)")
# Where a content runs on into the outlet's own clause: ", but ...", "; ...", " – ..."
_CONTENT_CUT = re.compile(r"(?:,\s+(?:but|while|whereas|although|though)\s+|;\s+|\s+[–—]\s+|,?\s+in\s+(?:a|an|his|her|its|their)\s+"
                          r"(?:statement|interview|tweet|speech|release|post|letter|e-?mail|video|op-ed|memo)\b)")
_COORD_VERB = re.compile(r"(?:,\s*|\s+)(?:and|but)\s+(?:(?:also|then|later|again|even|\w+ly)\s+)?")
_ADVERBIAL_ONLY = re.compile(
    r"^(?:(?:in|on|at|during|to|via|through|after|before|from|while|last|this|earlier|late|early|when|as|outside|inside)"
    r"\b(?:\s+[\w’'.-]+){0,7}|\w+day(?:\s+[\w’'.-]+){0,4})$", re.I)
_LEAD_ADVERBIAL = re.compile(
    r"^(?:\s+(?:on|in|at|to|during|via|through|over|after|before|from)\s+(?:a|an|the|its|his|her|their|\w+day)\b"
    r"[^,;\"“”]{0,50}?(?=\s+(?:the|a|an|his|her|its|their|he|she|it|they|we|there|this|that|[A-Z]))|"
    r"\s+(?:earlier|later|last\s+\w+|this\s+\w+|on\s+\w+day)\b)",
)
_SENT_END = re.compile(r"[\s.!?\"”’]*$")
# what follows a cue verb
_SPACES = re.compile(r"\s+")
_QUOTE_NEXT = re.compile(r"^\s*[:,]?\s*[\"“]")
_WH_NEXT = re.compile(r"^\s+(?:whether|if|why|how|what|who|when|where)\b")
_TO_NEXT = re.compile(r"^\s+to\s+[a-z]")
_WORD_BEFORE = re.compile(r"([\w’']+)\s+(?:(?:not|also|being)\s+)?$")
_ACT_OBJECT = re.compile(r"^\s+(?:(?:the\s+)?(?:responsibility|credit|victory|control|lives?|asylum|entry|access|bail|"
                         r"seats?|title|nomination|ownership|damages|a\s+(?:win|victory|seat)))\b")
_BY_AS_NEXT = re.compile(r"^\s+(?:by|as|in\s+(?:the|a)\s+(?:past|end))\b")
_FOR_ON_OF_NEXT = re.compile(r"^\s+(?:for|on|of)\b")
_FOR_ON_OF_SPEECH = {"call", "ask", "accuse", "blame", "criticize", "criticise", "praise", "thank", "apologize", "apologise",
                     "vote", "comment", "insist", "speculate"}


@dataclass(frozen=True)
class _Found:
    """An attribution before speaker resolution."""

    kind: str
    content: tuple[int, int]
    source: tuple[int, int] | None
    cue: tuple[int, int] | None
    description: tuple[int, int] | None = None


def attribute_article(text: str, registry: PartyRegistry | None = None) -> list[Sentence]:
    """Every sentence of ``text`` with the attributions that touch it (outlet's voice included)."""
    registry = registry or PartyRegistry()
    sentences = split_sentences(text)
    found = _find_all(text, sentences)
    resolved = _resolve(text, found, registry)
    # each attribution handed to the sentences it touches (not every sentence scanning them all)
    starts = [s for s, _ in sentences]
    touching: list[list[Attribution]] = [[] for _ in sentences]
    for a in resolved:
        region = a.region
        i = max(bisect_right(starts, region[0]) - 1, 0)
        while i < len(sentences) and sentences[i][0] < region[1]:
            if _overlaps(region, sentences[i]):
                touching[i].append(a)
            i += 1
    out: list[Sentence] = []
    for (s_start, s_end), attrs in zip(sentences, touching):
        attrs += _outlet_fill(text, s_start, s_end, attrs)
        attrs.sort(key=lambda a: a.region[0])
        out.append(Sentence(s_start, s_end, tuple(attrs)))
    return out


def attribute_text(text: str, registry: PartyRegistry | None = None) -> list[Attribution]:
    """All attributions of ``text`` in reading order, each once (the ``attribute`` command's view)."""
    seen: dict[tuple[int, int, str], Attribution] = {}
    for sentence in attribute_article(text, registry):
        for a in sentence.attributions:
            seen.setdefault((a.content.start, a.content.end, a.kind), a)
    return sorted(seen.values(), key=lambda a: (a.content.start, a.content.end))


# --------------------------------------------------------------------------- finding


def _find_all(text: str, sentences: list[tuple[int, int]]) -> list[_Found]:
    # Short quoted bits are scare quotes ("massive attack") unless they end like an utterance: '"We are safe," she said'
    quotes = [
        q for q in _quote_spans(text)
        if len(_WORD.findall(text[q[0]:q[1]])) >= _MIN_QUOTE_WORDS or text[q[1] - 2:q[1] - 1] in {",", ".", "?", "!"}
    ]
    found: list[_Found] = []
    for q in quotes:
        f = _direct(text, q, sentences)
        same_cue = f is not None and found and f.cue is not None and f.cue == found[-1].cue
        if (f is None or same_cue) and found and found[-1].kind == "direct" and _continues(text, found[-1], q):
            # '"A," she said, "B."' and '"A," she said. "B."': one quotation, one attribution
            found[-1] = replace(found[-1], content=(found[-1].content[0], _strip(text, q[0] + 1, q[1], chars=" ,.\"”")[1]))
        elif f:
            found.append(f)
    taken = _Spans([f.content for f in found] + [(q[0], q[1]) for q in quotes])
    cues_taken = {f.cue for f in found if f.cue}
    for s_start, s_end in sentences:
        found.extend(_indirect(text, s_start, s_end, taken, cues_taken))
    found.extend(_colon_leads(text, sentences, taken))
    return found


def _continues(text: str, prev: _Found, q: tuple[int, int]) -> bool:
    """Whether quote ``q`` carries on ``prev``'s quotation: same paragraph, only its cue between."""
    gap = text[prev.content[1]:q[0]]
    if "\n" in gap or q[0] <= prev.content[1]:
        return False
    if prev.cue and prev.content[1] <= prev.cue[0] < q[0]:
        return len(gap) < 300 and not re.search(r"[\"“”]\s*\w", gap[3:])  # only the cue sentence between
    return not gap.strip(" ,.\"”“")


def _colon_leads(text: str, sentences: list[tuple[int, int]], taken: _Spans) -> list[_Found]:
    """Headline style 'Graham: Trump's rhetoric is hateful': a short name, a colon, the claim."""
    out = []
    for s_start, s_end in sentences:
        m = re.match(r"(?P<src>(?:[A-Z][\w.’'-]*\s+){0,3}[A-Z][\w.’'-]*)\s*:\s+(?P<content>\S.{10,})", text[s_start:s_end], re.S)
        if not m or s_start in taken or _looks_like_label(m.group("src")):
            continue
        content = _strip(text, s_start + m.start("content"), s_start + len(_SENT_END.sub("", text[s_start:s_end])), chars=" ")
        kind = "direct" if text[content[0]] in _QUOTE_OPEN else "indirect"
        out.append(_Found(kind, content, (s_start + m.start("src"), s_start + m.end("src")),
                          (s_start + m.end("src"), s_start + m.end("src") + 1)))
    return out


def _looks_like_label(src: str) -> bool:
    # "UPDATE:", "Photo:", "WASHINGTON:" are labels, not speakers
    return src.isupper() or src.lower() in {"update", "photo", "video", "note", "editor's note", "correction", "watch",
                                           "read more", "related", "source", "sources", "credit", "image", "caption"}


def _quote_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every quotation, marks included; straight quotes pair within a paragraph."""
    spans: list[tuple[int, int]] = []
    for para in _PARAGRAPH.finditer(text):
        base, p = para.start(), para.group()
        opener = _OPENER.search(p)
        while opener:
            i, ch = opener.start(), opener.group()
            closer = {"“": "”", "«": "»", "„": "“", '"': '"'}[ch]
            j = p.find(closer, i + 1)
            if ch == "“" and j < 0:
                j = p.find('"', i + 1)
            if j < 0:
                # an unclosed quote runs to the paragraph's end (next paragraph reopens it)
                spans.append((base + i, base + len(p)))
                break
            spans.append((base + i, base + j + 1))
            opener = _OPENER.search(p, j + 1)
    return spans


def _sentence_of(pos: int, sentences: list[tuple[int, int]]) -> tuple[int, int]:
    for s in sentences:
        if s[0] <= pos < s[1]:
            return s
    return (pos, pos)


def _direct(text: str, q: tuple[int, int], sentences: list[tuple[int, int]]) -> _Found | None:
    inner = (q[0] + 1, q[1] - 1 if text[q[1] - 1] in _QUOTE_CLOSE else q[1])
    inner = _strip(text, *inner, chars=" ,.")
    # cue after the quote: '"...," he said.'  /  '"...," said Arayik Harutyunyan, the leader ...'
    s_end = _sentence_of(max(q[1] - 1, q[0]), sentences)[1]
    if not text[q[1]:s_end].strip() and text[q[1] - 2:q[1] - 1] in {"?", "!"}:
        # the splitter ends a sentence after '?”': '“... who knows?” Trump told ITV.' goes on
        nxt = next((s for s in sentences if s[0] >= s_end), None)
        if nxt and "\n" not in text[q[1]:nxt[0]]:
            s_end = nxt[1]
    after = text[q[1]:s_end]
    m = _LEADING_COMMA.match(after)
    pos = q[1] + (m.end() if m else 0)
    tail = text[pos:s_end]
    cm = _CUE_THEN_SOURCE.match(tail)
    if cm and not _THAT_NEXT.match(cm.group("rest")):
        src_start = pos + cm.start("rest")
        src_end = _np_end(text, src_start, s_end)
        if src_end > src_start and _looks_like_speaker(text[src_start:src_end]):
            name, desc = _split_apposition(text, src_start, src_end, s_end)
            return _Found("direct", inner, name, (pos + cm.start("cue"), pos + cm.end("cue")), desc)
    sm = _SOURCE_THEN_CUE.match(tail)
    if sm and _looks_like_speaker(sm.group("src")):
        src = _strip(text, pos + sm.start("src"), pos + sm.end("src"))
        name, desc = _split_possessive(text, *src)
        return _Found("direct", inner, name, (pos + sm.start("cue"), pos + sm.end("cue")), desc)
    # cue before the quote: 'He said: "..."'  /  'X told AFP, "..."'
    s_start = _sentence_of(q[0], sentences)[0]
    before = text[s_start:q[0]]
    bm = _CUE_BEFORE_QUOTE.search(before) if _ENDS_LEADING_IN.search(before) else None
    if bm and _looks_like_speaker(bm.group("src")):
        src = _trim_subject(text, s_start + bm.start("src"), s_start + bm.end("src"))
        name, desc = _split_possessive(text, *src)
        return _Found("direct", inner, name, (s_start + bm.start("cue"), s_start + bm.end("cue")), desc)
    return None


def _indirect(
    text: str, s_start: int, s_end: int, taken: _Spans, cues_taken: set[tuple[int, int]]
) -> list[_Found]:
    """Reported speech inside one sentence, cues read left to right."""
    out: list[_Found] = []
    body_end = s_start + len(_SENT_END.sub("", text[s_start:s_end])) if text[s_start:s_end].strip() else s_end
    body_end = max(body_end, s_start)
    for m in _ACCORDING.finditer(text, s_start, s_end):
        if m.start() in taken:
            continue
        src_start = m.end()
        src_end = _np_end(text, src_start, body_end)
        if src_end <= src_start:
            continue
        cue = (m.start(), m.end() - 1)
        if text[src_end:src_end + 1] == ",":  # "According to X, CONTENT."
            content = _strip(text, src_end + 1, body_end)
        else:  # "CONTENT, according to X."
            content = _strip(text, s_start, m.start(), chars=" ,")
        if content[1] > content[0]:
            out.append(_Found("indirect", content, (src_start, src_end), cue))
    for m in _cues(text, s_start, s_end):
        word = _SPACES.sub(" ", m.group(1).lower())
        if m.start() in taken or (m.start(), m.end()) in cues_taken \
                or any(f.source and _inside(m.start(), [f.source]) for f in out):
            continue
        after = text[m.end():s_end]
        comps = complements(word)
        that = _THAT_AFTER.match(after)
        if not that and lemma_of(word) in _ADDRESSEE:  # "told Fox News that ..."
            that = _ADDRESSEE_THAT.match(after)
        quote_next = _QUOTE_NEXT.match(after)
        wh_next = "wh" in comps and _WH_NEXT.match(after)
        to_next = _TO_NEXT.match(after)
        # what a search of text[s_start:m.start()] finds: a match ends there and spans at most
        # two runs of non-space, so only they are searched (not every position of the sentence)
        before_word = _WORD_BEFORE.search(text, _words_back(text, m.start(), 2, s_start), m.start())
        if before_word and before_word.group(1).lower() in _BE and word.endswith(("ed", "en", "wn", "ld", "id", "ht", "nd")):
            continue  # passive: "was told", "is expected to", "are said to be"
        zero_that = _ZERO_THAT.match(after)
        if word in THAT_ONLY_WORDS and not (that or quote_next or wh_next or zero_that or (to_next and "to" in comps)):
            continue
        if word in NOUN_LIKE and lemma_of(word) not in _NEVER_NOUN and not (that or _after_subject(text, s_start, m.start())):
            continue  # "a proxy state", "the reports"
        if to_next and "to" not in comps and not that:
            continue  # "said to be"
        if _ACT_OBJECT.match(after):
            continue  # "claimed responsibility", "denied entry": acts
        if _BY_AS_NEXT.match(after) and not that:
            continue  # "reported by", "described as"
        if _FOR_ON_OF_NEXT.match(after) and lemma_of(word) not in _FOR_ON_OF_SPEECH and not that:
            continue  # "claimed responsibility for" stays an act
        prev = out[-1] if out else None
        left_start = prev.cue[1] if prev and prev.cue and prev.cue[1] <= m.start() else s_start
        coord = _COORD_VERB.search(text, left_start, m.start()) if prev and prev.source else None
        participle = word.endswith("ing") and re.search(r",\s*$", text[left_start:m.start()]) and prev and prev.source
        if (coord and coord.end() == m.start()) or (participle and not _subject(text, left_start, m.start(), first=False)):
            # "X said A, and accused B" / "X denied A, saying B": the same speaker goes on
            cut_at = coord.start() if coord and coord.end() == m.start() else m.start()
            cut = _strip(text, prev.content[0], cut_at, chars=" ,;")
            if prev.content[0] < cut_at < prev.content[1] and cut[1] > cut[0]:
                out[-1] = replace(prev, content=cut)
            subject = (prev.source, prev.description, False)
        else:
            subject = _subject(text, left_start, m.start(), first=not out)
        if subject is None:
            # inverted order: "CONTENT, X said." / "CONTENT, said X."
            inv = _inverted(text, s_start, body_end, m)
            if inv:
                out.append(inv)
            continue
        src, desc, coordinated = subject
        if that:
            c_start = m.end() + that.end() - 4  # the complementizer belongs to the content
        elif lemma_of(word) in _ADDRESSEE and (addressee := _ADDRESSEE_NP.match(after)):
            c_start = m.end() + addressee.end()
        else:
            lead = _LEAD_ADVERBIAL.match(after)
            c_start = m.end() + (lead.end() if lead else 0)
        cut = next((c for c in _CONTENT_CUT.finditer(text, c_start, body_end) if text[c_start:c.start()].strip(" ,:") and not _in_quotes(text[c_start:c.start()], c.start() - c_start)), None)
        content = _strip(text, c_start, cut.start() if cut else body_end, chars=" ,:")
        if content[1] <= content[0]:
            inv = _inverted(text, s_start, body_end, m)
            if inv:
                out.append(inv)
            continue
        if _ADVERBIAL_ONLY.match(text[content[0]:content[1]]) and re.search(r",\s*$", text[left_start:src[0]]):
            # "CONTENT, she said in a video message.": what comes after the cue is only its setting
            content = _strip(text, left_start, src[0], chars=" ,")
            content = (content[0] + (that_lead.end() if (that_lead := re.match(r"^that\s+", text[content[0]:content[1]])) else 0), content[1])
        if prev and coordinated and prev.content[0] < src[0] < prev.content[1]:
            # "X denied A, but Y said B": the previous content ends where this speaker begins
            cut = _strip(text, prev.content[0], src[0], chars=" ,;")
            cut = (cut[0], _drop_connector(text, *cut))
            out[-1] = replace(prev, content=cut)
        kind = "direct" if text[content[0]] in _QUOTE_OPEN and _quote_covers(text, content) else "indirect"
        out.append(_Found(kind, content, src, (m.start(), m.end()), desc))
    return [f for f in out if f.content[1] > f.content[0]]


def _quote_covers(text: str, span: tuple[int, int]) -> bool:
    """Whether the quotation opening at ``span[0]`` runs (nearly) to the span's end."""
    close = min((i for i in (text.find(c, span[0] + 1, span[1] + 1) for c in _QUOTE_CLOSE) if i >= 0), default=span[1])
    return close >= span[1] - 2


def _after_subject(text: str, s_start: int, pos: int) -> bool:
    """Whether the word before ``pos`` can end a subject (a name, a pronoun, a plural noun)."""
    m = re.search(r"([\w’'.)-]+)(,?)\s+$", text[s_start:pos])
    if not m:
        return False
    w = m.group(1)
    if m.group(2):  # "Joe Bateman, who traveled from Illinois, says": an apposition just closed
        return True
    if w.lower() in {"a", "an", "the", "of", "in", "on", "its", "his", "her", "their", "our", "this", "that",
                     "these", "those", "to", "for", "with", "by", "from", "and", "or", "as"}:
        return False
    return w[:1].isupper() or w.lower() in _PRONOUNS or w.lower() in {"who", "which"} or w.lower().endswith("ly") \
        or bool(_SPEAKER_NOUNS.fullmatch(w)) or (w.endswith("s") and not w.endswith("ss") and len(w) > 3)


def _inverted(text: str, s_start: int, body_end: int, m: re.Match[str]) -> _Found | None:
    before = text[s_start:m.start()]
    after = text[m.end():body_end]
    # "CONTENT, X said." : the speaker sits between the last comma and the cue
    bm = re.search(r",\s*(?P<src>[^,;\"“”]{1,80}?)\s+(?:(?:\w+ly|also|later|has|had)\s+)*$", before)
    if bm and not after.strip(" ,") and _looks_like_speaker(bm.group("src")):
        src = _strip(text, s_start + bm.start("src"), s_start + bm.end("src"))
        content = _strip(text, s_start, s_start + bm.start(), chars=" ,")
        name, desc = _split_possessive(text, *src)
        return _Found("indirect", content, name, (m.start(), m.end()), desc)
    # "CONTENT, said X." : the speaker follows the cue at the sentence's end
    if re.search(r",\s*$", before) and after.strip() and _looks_like_speaker(after):
        src = _strip(text, m.end(), body_end)
        name, desc = _split_apposition(text, src[0], src[1], body_end)
        content = _strip(text, s_start, m.start(), chars=" ,")
        return _Found("indirect", content, name, (m.start(), m.end()), desc)
    return None


# --------------------------------------------------------------------------- noun phrases


def _strip(text: str, a: int, b: int, chars: str = " ") -> tuple[int, int]:
    chars = chars + "\n\t"
    while a < b and text[a] in chars:
        a += 1
    while b > a and text[b - 1] in chars:
        b -= 1
    return a, b


def _drop_connector(text: str, a: int, b: int) -> int:
    m = re.search(r"(?:,?\s+(?:and|but|while|whereas|with)|,)\s*$", text[a:b], re.I)
    return a + m.start() if m else b


def _inside(pos: int, spans: list[tuple[int, int]]) -> bool:
    return any(a <= pos < b for a, b in spans)


class _Spans:
    """Whether a position lies in any of some spans (``pos in spans``), as ``_inside`` tells, the
    spans merged and looked up by bisection: every cue of an article was checked against every
    quotation and content found in it."""

    def __init__(self, spans: list[tuple[int, int]]):
        merged: list[list[int]] = []
        for a, b in sorted(span for span in spans if span[0] < span[1]):
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        self.starts = [a for a, _ in merged]
        self.ends = [b for _, b in merged]

    def __contains__(self, pos: int) -> bool:
        i = bisect_right(self.starts, pos) - 1
        return i >= 0 and pos < self.ends[i]


def _overlaps(x: tuple[int, int], y: tuple[int, int]) -> bool:
    return x[0] < y[1] and y[0] < x[1]


def _np_end(text: str, start: int, limit: int) -> int:
    """End of the noun phrase starting at ``start``: the next comma, clause word or the limit."""
    m = re.compile(r",|;|\s+(?:that|who|which|when|after|before|because|as|on\s+\w+day|in\s+a)\b|[.!?](?:\s|$)").search(text, start, limit)
    end = m.start() if m else limit
    return _strip(text, start, end, chars=" .")[1]


def _looks_like_speaker(np: str) -> bool:
    words = np.strip().split()
    if not words or len(words) > 18:
        return False
    if words[0].lower() in _PRONOUNS and len(words) == 1:
        return True
    if np.strip().lower() in {"it", "there", "this", "that"}:
        return False
    if any(w[:1].isupper() for w in words) or _SPEAKER_NOUNS.search(np):
        return True
    return False


def _trim_subject(text: str, a: int, b: int) -> tuple[int, int]:
    """Drop adverbs and auxiliaries between a subject and its verb ("Hajiyev later said")."""
    a = _strip(text, a, b, chars=" ,")[0]
    b = _strip(text, a, b)[1]
    while True:
        m = re.search(r"\s+(\w+)$", text[a:b])
        if not m or not (m.group(1).lower() in _ADVERBS or m.group(1).lower().endswith("ly") and m.group(1)[:1].islower()):
            return a, b
        b = a + m.start()


def _subject(
    text: str, left_start: int, cue_start: int, first: bool
) -> tuple[tuple[int, int], tuple[int, int] | None, bool] | None:
    """The speaker noun phrase just before a cue verb, its apposition, and whether a clause
    boundary ("..., but", "and") separates it from what came before."""
    a, b = _trim_subject(text, left_start, cue_start)
    if b <= a:
        return None
    desc = None
    if text[a:b].endswith(","):
        # "Hikmet Hajiyev, an aide to ..., said" / "X, as well as Y, have demanded"
        inner = text[a:b - 1]
        comma = inner.rfind(",")
        if comma < 0:
            return None
        desc = _strip(text, a + comma + 1, b - 1)
        b = a + comma
    tail = _clause_tail(text, a, b, first)
    if tail is None:
        return None
    span, cut = tail
    rel = re.search(r"\b(?:who|which)$", text[span[0]:span[1]])
    if rel and rel.start() > 0:  # "business leaders who say ...": the relative pronoun is the mention
        return (span[0] + rel.start(), span[1]), None, cut
    if not _looks_like_speaker(text[span[0]:span[1]]) or len(text[span[0]:span[1]].split()) > 14:
        return None
    if desc is not None:
        return span, desc, cut
    name, pdesc = _split_possessive(text, *span)
    return name, pdesc, cut


def _clause_tail(text: str, a: int, b: int, first: bool) -> tuple[tuple[int, int], bool] | None:
    """The last clause piece of ``text[a:b]`` (after the last comma, "but", "and" ...) and
    whether such a boundary was cut."""
    seg = text[a:b]
    cut = 0
    for m in _BOUNDARY.finditer(seg):
        if not _in_quotes(seg, m.start()):
            cut = m.end()
    rest = seg[cut:]
    if not first or cut:
        am = list(_AND.finditer(rest))
        if am and not _in_quotes(rest, am[-1].start()):
            after_and = rest[am[-1].end():]
            if after_and[:1].isupper() or re.match(r"^(?:its|his|her|their|the)\b", after_and):
                cut += am[-1].end()
    lead = re.match(r"^\s*that\s+", seg[cut:])
    start = a + cut + (lead.end() if lead else 0)
    span = _strip(text, start, b)
    return (span, bool(cut)) if span[1] > span[0] else None


def _in_quotes(seg: str, pos: int) -> bool:
    return (seg[:pos].count('"') % 2 == 1) or (seg[:pos].count("“") > seg[:pos].count("”"))


def _split_possessive(text: str, a: int, b: int) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """'President Ilham Aliyev's aide Hikmet Hajiyev' -> name 'Hikmet Hajiyev', description the rest."""
    np = text[a:b]
    m = re.search(r"^(?P<desc>.+?['’]s\s+(?:[a-z][\w-]*\s+){1,3})(?P<name>(?:[A-Z][\w.’'-]*\s*){2,4})$", np)
    if m:
        return (a + m.start("name"), a + m.end("name")), (a + m.start("desc"), a + m.end("desc") - 1)
    return (a, b), None


def _split_apposition(text: str, a: int, b: int, limit: int) -> tuple[tuple[int, int], tuple[int, int] | None]:
    """'Arayik Harutyunyan, the leader of ...' -> the name, and the apposition as description."""
    comma = text.find(",", a, limit)
    if comma != -1 and comma <= b + 1:
        desc = _strip(text, comma + 1, len(_SENT_END.sub("", text[:limit])), chars=" ,")
        return (a, comma), desc if desc[1] > desc[0] else None
    return (a, b), None


# --------------------------------------------------------------------------- resolution


def _resolve(text: str, found: list[_Found], registry: PartyRegistry) -> list[Attribution]:
    """Resolve every speaker to a full name and a party, reading the article in order."""
    found = sorted(found, key=lambda f: (f.source or f.content)[0])
    named: list[tuple[str, bool]] = []  # (speaker, is_person) as met so far
    descriptions: dict[str, str | None] = {}
    out: list[Attribution] = []
    for f in found:
        src_text = text[f.source[0]:f.source[1]] if f.source else None
        desc = text[f.description[0]:f.description[1]] if f.description else None
        speaker = _resolve_speaker(text, src_text, (f.source or f.content)[0], named, desc)
        if speaker:
            named.append((speaker, _is_person(speaker)))
            # a later "Hajiyev said" keeps the description met with the full name
            desc = descriptions.setdefault(speaker, desc) if desc else descriptions.get(speaker)
        match = registry.resolve(speaker, desc)
        out.append(
            Attribution(
                content=Span(text[f.content[0]:f.content[1]], *f.content),
                kind=f.kind,  # type: ignore[arg-type]
                party=match.party,
                speaker=speaker,
                source=Span(src_text, *f.source) if f.source and src_text is not None else None,
                cue=Span(text[f.cue[0]:f.cue[1]], *f.cue) if f.cue else None,
                speaker_description=desc,
            )
        )
    return out


def _is_person(name: str) -> bool:
    words = name.split()
    return 2 <= len(words) <= 4 and all(w[:1].isupper() for w in words) and not _ORG_WORDS.search(name)


def _resolve_speaker(text: str, mention: str | None, pos: int, named: list[tuple[str, bool]], desc: str | None) -> str | None:
    if not mention:
        return None
    m = mention.strip().strip(",")
    low = m.lower()
    if low in {"who", "which"}:  # the noun phrase the relative clause hangs on
        ante = re.search(r"((?:[\w’'.-]+\s+){0,5}?[\w’'.-]+),?\s*$", text[max(0, pos - 80):pos])
        words: list[str] = []
        for w in reversed(ante.group(1).split() if ante else []):
            # walk back to the preposition or verb the noun phrase hangs on
            if w.lower() in {"and", "or", "from", "by", "with", "to", "for", "in", "on", "at", "among", "including"} \
                    or (re.fullmatch(r"[a-z]+ed", w) and words):
                break
            words.insert(0, w)
        return _strip_article(" ".join(words)) if words else m
    if low in _PERSONAL:
        return next((s for s, person in reversed(named) if person), m)
    if low in {"they", "it", "we"}:
        return next((s for s, person in reversed(named) if not person), m)
    pm = re.match(r"^(its|his|her|their)\s+(.+)$", m, re.I)
    if pm:  # "its leader": the owner is the last organisation speaking
        owner = next((s for s, person in reversed(named) if not person), None)
        if owner is None:
            owner = _last_proper_noun(text, pos)
        return f"{owner}'s {pm.group(2)}" if owner else m
    dm = re.match(r"^the\s+(\w+)$", m, re.I)
    if dm:  # "the ministry": the last speaker with that head noun
        head = dm.group(1).lower()
        found = next((s for s, _ in reversed(named) if head in s.lower()), None)
        return found or _strip_article(m)
    bare = _TITLES.sub("", m) if _TITLES.match(m) else m
    if re.fullmatch(r"[A-Z][\w’'-]+", bare):  # a surname: the full name met earlier
        full = _full_name(text, bare, pos, named)
        if full:
            return full
    return _strip_article(bare if bare != m and _is_person(bare) else m)


def _strip_article(s: str) -> str:
    return re.sub(r"^(?:the|a|an)\s+", "", s, flags=re.I)


def _full_name(text: str, surname: str, pos: int, named: list[tuple[str, bool]]) -> str | None:
    for s, person in reversed(named):
        if person and s.split()[-1] == surname:
            return s
    best = None
    for start, end in _names_ending_in(text, surname, pos):
        name = text[start:end]
        cand = _TITLES.sub("", name) if _TITLES.match(name) else name
        cand = re.sub(r"^(?:[A-Z][a-z]+['’]s\s+)", "", cand)
        if _is_person(cand) and (best is None or len(cand) >= len(best)):
            best = cand
    return best


def _names_ending_in(text: str, surname: str, pos: int) -> Iterator[tuple[int, int]]:
    """The spans ``re.finditer(r"(?:[A-Z][\w’'.-]+\s+){1,3}" + re.escape(surname) + r"\b", text[:pos])``
    finds, tried only where such a name can start: among the three words before an occurrence of
    the surname (a scan of the text before ``pos`` at every character was a sixth of attributing
    an article), and matched without compiling a pattern per surname (most surnames are new to
    the process, and compiling them was 6% of attributing)."""
    start = 0  # where the next match may begin: the end of the last one
    k = text.find(surname, 0, pos)
    while k != -1 and k + len(surname) <= pos:
        lo = _words_back(text, k, 3, start)
        found = None
        for p in range(lo, k):
            if "A" <= text[p] <= "Z" and (end := _name_at(text, p, surname, pos)) is not None:
                found = (p, end)
                break
        if found:
            yield found
            start = found[1]
            k = text.find(surname, start, pos)
        else:
            k = text.find(surname, k + 1, pos)


def _words_back(text: str, k: int, words: int, floor: int) -> int:
    """Where the ``words`` runs of non-space characters before ``k`` (each followed by space)
    begin, not before ``floor``; ``k`` itself when no space precedes it."""
    i = k
    for _ in range(words):
        j = i
        while j > floor and text[j - 1].isspace():
            j -= 1
        if j == i:
            break
        t = j
        while t > floor and not text[t - 1].isspace():
            t -= 1
        if t == j:
            break
        i = t
    return i


_CAP_WORD = re.compile(r"[A-Z][\w’'.-]+\s+")
_WORD_EDGE = re.compile(r"\b")


def _name_at(text: str, p: int, surname: str, pos: int) -> int | None:
    """Where ``(?:[A-Z][\w’'.-]+\s+){1,3}SURNAME\b`` matched at ``p`` in ``text[:pos]`` ends, or
    None (``surname`` starts with a capital). A word there is its whole run of word characters
    and the whole run of space after it, as backtracking into either could only put a space
    where a capital must be; so, as the greedy {1,3} would, three words are tried, then two, then one."""
    ends: list[int] = []
    e = p
    while len(ends) < 3 and (word := _CAP_WORD.match(text, e, pos)):
        e = word.end()
        ends.append(e)
    for e in reversed(ends):
        end = e + len(surname)
        if end <= pos and text.startswith(surname, e) and _WORD_EDGE.match(text, end, pos):
            return end
    return None


def _last_proper_noun(text: str, pos: int) -> str | None:
    caps = re.findall(r"\b[A-Z][a-z]+(?:\s+[A-Z][a-z]+)*", text[max(0, pos - 200):pos])
    return caps[-1] if caps else None


# --------------------------------------------------------------------------- outlet voice


def _outlet_fill(text: str, s_start: int, s_end: int, attrs: list[Attribution]) -> list[Attribution]:
    """The outlet's own voice: a sentence, or its leading main clause, that nobody is said to say."""
    if not attrs:
        span = (s_start, s_end)
    else:
        first = min(max(a.region[0], s_start) for a in attrs)
        lead = _strip(text, s_start, first, chars=" ,;")
        lead = (lead[0], _drop_connector(text, *lead))
        # a short opening phrase ("In Stepanakert,") belongs to the attribution that follows
        if lead[1] - lead[0] < 0.4 * (s_end - s_start) or len(text[lead[0]:lead[1]].split()) < 6:
            return []
        span = lead
    return [outlet_voice(text, 0, *span)]
