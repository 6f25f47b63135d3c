"""Embedding models: the offline default and any named sentence-transformers model."""
