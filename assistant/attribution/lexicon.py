"""The cue lexicon: verbs that introduce what somebody said, thinks or wants, in every form.

Written from general English grammar (Levin's verb classes of communication, cognition and
attitude), not from any annotated corpus. Each lemma is inflected here so the lists stay short.

    >>> "warned" in CUE_WORDS and "pointing out" in CUE_WORDS
    True
    >>> lemma_of("accused"), "to" in complements("vowed"), "to" in complements("said")
    ('accuse', True, False)
"""
from __future__ import annotations

# Verbs of saying: any complement (a that-clause, a quote, an object, an infinitive where listed).
# "attack", "back", "hit", "push" are left out on purpose: in conflict news they are acts, not words.
SPEECH = """
say tell add claim deny announce report tweet write state warn accuse insist argue explain note stress
assert allege confirm acknowledge admit+ maintain predict reply respond urge vow pledge promise estimate
demand contend concede reiterate emphasize emphasise complain testify disclose ask call criticize criticise
praise endorse blame slam mock joke question challenge dismiss reject defend propose recommend express thank
congratulate condemn denounce applaud hail lament boast brag proclaim remark comment counter retort quip+
caution advise assure remind inform threaten speculate charge repeat echo affirm clarify cite highlight
underscore recount tout oppose support favor favour want plan+ intend seek refuse decline prefer+ blast
fault scold chide rebuke berate decry lambast lambaste ridicule label brand dub insult accuse apologize
apologise promise forecast post+ mention discuss tease vow insinuate concur
""".split()
# Two-word cues, inflected on their verb.
PHRASAL = "point_out point_to fire_back shoot_back weigh_in speak_about speak_of talk_about refer+_to push_back lash_out hit_back sound_off".split()
# Verbs of thinking and perceiving: a cue only before "that", a wh-clause or a quote
# ("declared a state of war" is an act; "found the body" is not speech).
THAT_ONLY = """
declare show find know hope fear worry believe think suggest describe recall reveal agree feel realize
realise understand recognize recognise learn hear read see indicate signal hint imply conclude continue
mean decide determine expect doubt wonder suspect assume guess figure notice observe discover prove
demonstrate convince acknowledge imagine suppose
""".split()
# Verbs whose "to ..." infinitive is the content ("pledged to oppose", "wants to build").
TO_CONTENT = set("""
pledge vow promise threaten refuse decline want plan intend seek hope expect prefer urge ask call agree
offer demand claim propose decide need vote
""".split())
# Verbs whose wh-clause is the content ("asked whether", "explained why").
WH_CONTENT = set("ask wonder question explain know decide discuss tell understand describe reveal".split())

_IRREGULAR = {
    "say": ("says", "said", "saying"), "tell": ("tells", "told", "telling"), "write": ("writes", "wrote", "writing", "written"),
    "think": ("thinks", "thought", "thinking"), "know": ("knows", "knew", "knowing", "known"),
    "find": ("finds", "found", "finding"), "see": ("sees", "saw", "seeing", "seen"), "hear": ("hears", "heard", "hearing"),
    "read": ("reads", "read", "reading"), "feel": ("feels", "felt", "feeling"), "mean": ("means", "meant", "meaning"),
    "understand": ("understands", "understood", "understanding"), "seek": ("seeks", "sought", "seeking"),
    "forecast": ("forecasts", "forecast", "forecasting"), "learn": ("learns", "learned", "learnt", "learning"),
    "show": ("shows", "showed", "showing", "shown"), "shoot": ("shoots", "shot", "shooting"),
    "speak": ("speaks", "spoke", "speaking", "spoken"), "hit": ("hits", "hit", "hitting"), "prove": ("proves", "proved", "proving", "proven"),
}


def _inflect(entry: str) -> tuple[str, tuple[str, ...]]:
    double = entry.endswith("+")  # "admit+": admitted, admitting
    lemma = entry.rstrip("+")
    if lemma in _IRREGULAR:
        return lemma, (lemma, *_IRREGULAR[lemma])
    if lemma.endswith(("s", "sh", "ch", "x", "z")):
        third = lemma + "es"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        third = lemma[:-1] + "ies"
    else:
        third = lemma + "s"
    if lemma.endswith("e"):
        past, ing = lemma + "d", lemma[:-1] + "ing"
    elif lemma.endswith("y") and lemma[-2] not in "aeiou":
        past, ing = lemma[:-1] + "ied", lemma + "ing"
    elif double:
        past, ing = lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"
    else:
        past, ing = lemma + "ed", lemma + "ing"
    return lemma, (lemma, third, past, ing)


_LEMMA: dict[str, str] = {}
for _entry in SPEECH + THAT_ONLY:
    _lemma, _forms = _inflect(_entry)
    for _form in _forms:
        _LEMMA.setdefault(_form, _lemma)

for _entry in PHRASAL:
    _verb, _particle = _entry.split("_")
    _lemma, _forms = _inflect(_verb)
    for _form in _forms:
        _LEMMA.setdefault(f"{_form} {_particle}", f"{_lemma} {_particle}")

_SPEECH_LEMMAS = {e.rstrip("+") for e in SPEECH} | {e.replace("+", "").replace("_", " ") for e in PHRASAL}
CUE_WORDS = frozenset(_LEMMA)
THAT_ONLY_WORDS = frozenset(f for f, lem in _LEMMA.items() if lem not in _SPEECH_LEMMAS)
# Base and third-person forms double as nouns ("a proxy state", "the reports", "calls for"):
# such a form is a cue only right after a subject or before "that".
NOUN_LIKE = frozenset(f for f, lem in _LEMMA.items() if " " not in f and f in (lem, _inflect(lem)[1][1])) | {"thought", "found", "warning", "writing", "stating"}


def lemma_of(word: str) -> str:
    return _LEMMA.get(word.lower(), word.lower())


def complements(word: str) -> set[str]:
    """Which complements beyond a that-clause and a quote make ``word`` a cue: "to", "wh", "np"."""
    lemma = lemma_of(word)
    out = set()
    if lemma in TO_CONTENT:
        out.add("to")
    if lemma in WH_CONTENT:
        out.add("wh")
    if lemma in _SPEECH_LEMMAS:
        out.add("np")
    return out
