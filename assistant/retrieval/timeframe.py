"""When a question is about: the days its words ("this week", "yesterday", "on Tuesday") point
to, counted back from the day it is asked.

News questions are relative to the day they are asked: "Which automaker recalled 2.9 million
vehicles this week?" means the week before that day, and an archive holds older stories on the
same topic that match the words as well. Retrieval therefore ranks the articles published within
the question's timeframe a second time and fuses that ranking in (a preference, never a filter:
an older article still answers when nothing recent does).

With a known ``as_of`` day and no time words, the timeframe is the fortnight before it ("the
news as of that day"); without ``as_of`` only explicit time words count, against today.

Example:
    >>> from datetime import date
    >>> timeframe("Who resigned this week?", date(2022, 7, 8))
    Timeframe(since='2022-07-01', until='2022-07-08', phrase='this week')
    >>> timeframe("Who leads Armenia?", None) is None
    True
"""
from __future__ import annotations

import re
from datetime import date, timedelta

from ..schema import Timeframe

# Days back from the day asked, for the time words of news questions. A hand-written table rather
# than a date parser: what matters is the window each phrase covers, not one date.
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_PHRASES: tuple[tuple[re.Pattern[str], int], ...] = tuple((re.compile(p, re.I), days) for p, days in (
    (r"\b(today|tonight|this (morning|afternoon|evening))\b", 1),
    (r"\byesterday\b", 2),
    (rf"\b(this|past) (week|weekend)\b|\b(on|last|this) ({_DAYS})\b|\b({_DAYS})\b", 7),
    (r"\blast (week|weekend)\b", 14),
    (r"\b(recently|lately|in recent (days|weeks)|(this|past|last) (few )?(days|weeks))\b", 14),
    (r"\b(this|past|last) month\b", 31),
    (r"\b(this|past|last) year\b|\bso far this\b", 366),
))
AS_OF_DAYS = 14  # no time words, but a known day asked: the news of the fortnight before it


def timeframe(question: str, as_of: date | str | None, today: date | None = None) -> Timeframe | None:
    """The days ``question`` is about, or None when nothing says (no time words and no ``as_of``)."""
    day = date.fromisoformat(as_of[:10]) if isinstance(as_of, str) else as_of
    for pattern, days in _PHRASES:
        found = pattern.search(question)
        if found:
            until = day or today or date.today()
            return Timeframe((until - timedelta(days=days)).isoformat(), until.isoformat(), found.group(0).lower())
    if day is None:
        return None
    return Timeframe((day - timedelta(days=AS_OF_DAYS)).isoformat(), day.isoformat(), None)
