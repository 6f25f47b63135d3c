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
import threading

import numpy as np

_LINE = re.compile(r"[^\n]+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Return ``(start, end)`` of every sentence, in order, trimmed of surrounding space."""
    spans: list[tuple[int, int]] = []
    for line in _LINE.finditer(text):
        para = line.group()
        if not para.strip():
            continue
        base = line.start()
        offsets = sentence_offsets(para)
        if not offsets:
            offsets = [(0, len(para))]
        for a, b in offsets:
            # trim whitespace so that every sentence starts and ends on a visible character
            while a < b and para[a].isspace():
                a += 1
            while b > a and para[b - 1].isspace():
                b -= 1
            if b > a:
                spans.append((base + a, base + b))
    return spans


def sentence_offsets(text: str) -> list[tuple[int, int]]:
    """The character offsets ``blingfire.text_to_sentences_and_offsets(text)`` gives, from the same
    C call. Its Python wrapper zero-fills its buffers and maps the C side's byte offsets to
    characters one byte at a time, which was a quarter of attributing an article; here the buffers
    are left unfilled and numpy maps the offsets (ASCII needs no mapping)."""
    import blingfire

    data = text.encode("utf-8")
    size = 2 * len(data)  # the room the wrapper gives the C side
    out, starts, ends, pointers = _buffers(size)
    got = blingfire.blingfire.TextToSentencesWithOffsets(data, len(data), *pointers, size)
    if got == -1 or got > size:
        return []
    count = out[:got].tobytes().split(b"\0", 1)[0].count(b"\n") + 1
    first, last = starts[:count], ends[:count]  # last: the last byte of each sentence
    if len(data) != len(text):
        lead = (np.frombuffer(data, np.uint8) & 0xC0) != 0x80  # the bytes that start a character
        after = last + 1
        if not (lead[first].all() and lead[after[after < len(data)]].all()):
            # an offset inside a character: only the wrapper knows what it makes of that
            return [tuple(x) for x in blingfire.text_to_sentences_and_offsets(text)[1]]
        char_of = np.cumsum(lead) - 1
        first, last = char_of[first], char_of[last]
    return list(zip(first.tolist(), (last + 1).tolist()))


_local = threading.local()  # each thread's buffers for the C side, grown as needed


def _buffers(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, tuple]:
    import ctypes

    have = getattr(_local, "buffers", None)
    if have is None or len(have[0]) < size:
        size = max(size, 1 << 16)
        arrays = (np.empty(size, np.uint8), np.empty(size, np.int32), np.empty(size, np.int32))
        have = _local.buffers = (*arrays, tuple(a.ctypes.data_as(ctypes.c_void_p) for a in arrays))
    return have
