"""The assistant's embedding model as LangChain ``Embeddings``, for LangChain vector stores (the
benchmarks' vanilla pipeline uses it, so both sides embed with the same model).

Example:
    >>> from assistant import Assistant
    >>> emb = AssistantEmbeddings(embedder=Assistant(corpus="corpus").embedder)
    >>> len(emb.embed_query("Ganja")) == len(emb.embed_documents(["Ganja"])[0])
    True
"""
from __future__ import annotations

from typing import Any

from langchain_core.embeddings import Embeddings


class AssistantEmbeddings(Embeddings):
    def __init__(self, embedder: Any):
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.encode(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.encode([text])[0].tolist()
