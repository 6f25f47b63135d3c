"""Find the claims of an answer that tell one event differently, so they can stand side by side:
two parties' figures for the same thing, or a claim and another party's denial of it.

Claims contrast when they come from different parties, share at least two key terms besides
their figures, and either both give figures that differ or one of them is a denial.

Example:
    >>> from assistant.schema import Claim
    >>> a = Claim("The ministry said 7 civilians were killed in Ganja.", "", "azerbaijan", "Azerbaijan", None, "said", "indirect", (1,))
    >>> b = Claim("Armenia said 2 civilians were killed in Ganja.", "", "armenia", "Armenia", None, "said", "indirect", (2,))
    >>> find_contrasts([a, b])
    (Contrast(first=0, second=1, reason='figures differ'),)
"""
from __future__ import annotations

import re
from collections.abc import Sequence

from ..schema import Claim, Contrast
from ..text import numbers, terms

_DENIAL = re.compile(r"\b(den(?:y|ies|ied|ying|ial)|reject\w*|refut\w*|dismiss\w*|untrue|baseless|fabricat\w*|"
                     r"never|(?:did|does|do|was|were|is|are|has|have) not|(?:did|does|do|was|were|is|are|has|have)n[’']t)\b",
                     re.I)
MIN_SHARED = 2


def _is_denial(c: Claim) -> bool:
    return bool(_DENIAL.search(c.cue or "") or _DENIAL.search(c.text))


def find_contrasts(claims: Sequence[Claim]) -> tuple[Contrast, ...]:
    """Pairs of claims (indexes into ``claims``) that differ, the closest in topic first, each
    claim in one pair at most."""
    keys = [set(terms(c.text)) - numbers(c.text) for c in claims]
    figures = [numbers(c.text) for c in claims]
    denials = [_is_denial(c) for c in claims]
    found: list[tuple[int, Contrast]] = []
    for i, a in enumerate(claims):
        for j in range(i + 1, len(claims)):
            shared = len(keys[i] & keys[j])
            if a.party == claims[j].party or shared < MIN_SHARED:
                continue
            if figures[i] and figures[j] and figures[i] != figures[j]:
                found.append((shared, Contrast(i, j, "figures differ")))
            elif denials[i] != denials[j]:
                found.append((shared, Contrast(i, j, "denial")))
    used: set[int] = set()
    out: list[Contrast] = []
    for _, k in sorted(found, key=lambda x: (-x[0], x[1].first, x[1].second)):
        if k.first not in used and k.second not in used:
            out.append(k)
            used |= {k.first, k.second}
    return tuple(sorted(out, key=lambda k: (k.first, k.second)))
