"""Key terms of a text, shared by retrieval and answering: lower case, accents folded
(Füzuli = Fuzuli), stop words dropped (bm25s's list), Snowball-stemmed (PyStemmer).

Example:
    >>> terms("How many civilians were killed in Füzuli?")
    ['civilian', 'kill', 'fuzuli']
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_TOKEN = re.compile(r"[a-z0-9]+(?:[.'][a-z0-9]+)*")
# bm25s's list is short (33 words); questions also need their own words dropped.
_EXTRA_STOP = set(
    "what who whom whose which when where why how many much did does do done were was been being have has had "
    "i me my we our you your he him his she her its they them what's who's can could would should may might must "
    "shall about after before than so very just any all some each other more most also too only own same few "
    "say said says tell told according from up down out over under again further once here".split()
)


@lru_cache(maxsize=1)
def _tools():
    import Stemmer
    from bm25s.stopwords import STOPWORDS_EN

    return Stemmer.Stemmer("english"), frozenset(STOPWORDS_EN) | _EXTRA_STOP


def fold(text: str) -> str:
    """Lower case without accents."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("’", "'")


def titled(title: str | None, text: str) -> str:
    """A chunk as it is embedded, searched and re-ranked: its article's title on top, which gives
    chunks deep in an article their topic."""
    return f"{title}\n{text}" if title else text


_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def numbers(text: str) -> set[str]:
    """The figures of a text, thousands separators dropped: '1,000' and '1000' are one figure."""
    return {n.replace(",", "") for n in _NUMBER.findall(text)}


def terms(text: str) -> list[str]:
    stemmer, stop = _tools()
    words = [w.replace("'s", "").replace(".", "") for w in _TOKEN.findall(fold(text))]
    return stemmer.stemWords([w for w in words if w and w not in stop])
