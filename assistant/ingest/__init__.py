"""Ingest stages: load articles, split sentences, chunk."""
