"""The index: Chroma (embedded or a server) holding chunks, and the article manifest."""
