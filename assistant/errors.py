"""One family of exceptions for every error a user can meet.

Each message names the file, field or setting at fault and says how to fix it, so the
CLI and the UI can show it as it is, without a traceback.
"""
from __future__ import annotations


class AssistantError(Exception):
    """Base of every error a user of the assistant can meet."""


class SettingsError(AssistantError):
    """A setting (environment variable or settings file) is invalid."""


class CorpusError(AssistantError):
    """A corpus file or folder cannot be read; ``path`` names it."""

    def __init__(self, path: str, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class RegistryError(AssistantError):
    """The parties registry (parties.yaml) is malformed."""


class ModelUnavailableError(AssistantError):
    """A configured model cannot be loaded (not cached, hub unreachable, bad path)."""


class IndexUnavailableError(AssistantError):
    """The index (Chroma) cannot be opened or reached."""


class IngestError(AssistantError):
    """An ingest cannot go on (its worker processes could not run)."""


class QuestionError(AssistantError):
    """The question itself cannot be answered as given (empty, too long ...)."""
