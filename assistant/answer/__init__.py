"""Answering: turn retrieved passages into claims with sources and parties."""
