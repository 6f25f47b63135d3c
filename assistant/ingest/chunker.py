"""Group an article's sentences into chunks that never cut a sentence.

Example:
    >>> from assistant.schema import Article, Sentence
    >>> art = Article(id="a", title="t", text="One two. Three four. Five.")
    >>> sents = [Sentence(0, 8), Sentence(9, 20), Sentence(21, 26)]
    >>> [c.text for c in chunk_article(art, sents, size=12)]
    ['One two.', 'Three four.', 'Five.']
    >>> all(art.text[c.start:c.end] == c.text for c in chunk_article(art, sents, size=20))
    True
"""
from __future__ import annotations

from collections.abc import Sequence

from ..schema import Article, Chunk, Sentence


def chunk_article(article: Article, sentences: Sequence[Sentence], size: int = 800, overlap: int = 0) -> list[Chunk]:
    """Chunks of about ``size`` characters; a longer sentence is a chunk of its own.

    ``overlap`` sentences of the end of a chunk begin the next one.
    """
    chunks: list[Chunk] = []
    i = 0
    n = len(sentences)
    while i < n:
        j = i + 1
        while j < n and sentences[j].end - sentences[i].start <= size:
            j += 1
        group = sentences[i:j]
        start, end = group[0].start, group[-1].end
        index = len(chunks)
        chunks.append(
            Chunk(
                id=f"{article.id}::{index}",
                article_id=article.id,
                index=index,
                text=article.text[start:end],
                start=start,
                end=end,
                sentences=tuple(group),
            )
        )
        i = max(j - overlap, i + 1) if j < n else n
    return chunks
