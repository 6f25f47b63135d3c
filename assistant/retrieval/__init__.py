"""Retrieval: find the passages that answer a question."""
