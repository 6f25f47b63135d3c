"""Split a text into sentences with character offsets into that text.

Paragraphs (line breaks) always end a sentence, so headlines and captions without a full
stop stay apart; inside a paragraph Bling Fire's sentence breaker decides (fast, and it knows
abbreviations such as "Sept." and "U.N.").

Example:
    >>> text = "Headline\\n\\nHe said it. \\"No,\\" she said."
    >>> [text[a:b] for a, b in split_sentences(text)]
    ['Headline', 'He said it.', '"No," she said.']
"""
from __future__ import annotations

import re

_LINE = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of every sentence, in order, trimmed of surrounding space."""
    import blingfire

    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        para = line.group()
        if not para.strip():
            continue
        base = line.start()
        _, offsets = blingfire.text_to_sentences_and_offsets(para)
        if not offsets:
            offsets = [(0, len(para))]
        for a, b in offsets:  # Bling Fire gives str (character) offsets
            # trim whitespace so that every sentence starts and ends on a visible character
            while a < b and para[a].isspace():
                a += 1
            while b > a and para[b - 1].isspace():
                b -= 1
            if b > a:
                spans.append((base + a, base + b))
    return spans
