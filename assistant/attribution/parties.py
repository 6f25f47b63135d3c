"""The parties registry: which party a resolved speaker belongs to.

Read from ``parties.yaml`` in the corpus folder (optional). A speaker no entry matches falls
back to a party named after the speaker's own organisation or name, so an unconfigured corpus
still says who.

Example:
    >>> reg = PartyRegistry.from_dicts([{"id": "armenia", "name": "Government of Armenia",
    ...                                   "aliases": ["Armenia", "Yerevan"]}])
    >>> reg.match("Yerevan's Ministry of Defense")
    'armenia'
    >>> reg.resolve("Reuters").party, reg.name("outlet")
    ('reuters', 'The publishing outlet')
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import RegistryError
from ..schema import OUTLET

REGISTRY_FILE = "parties.yaml"
OUTLET_NAME = "The publishing outlet"
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Party:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()


@dataclass(frozen=True)
class PartyMatch:
    party: str
    party_name: str
    configured: bool  # False when the party is a fallback derived from the speaker


MATCH_CACHE = 50_000  # texts whose match is remembered, at most

_LEADING = re.compile(r"^(?:the|a|an|its|his|her|their|our)\s+", re.I)
_TRAILING_ROLE = re.compile(r"['’]s\b.*$")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or UNKNOWN


@dataclass
class PartyRegistry:
    parties: tuple[Party, ...] = ()
    _compiled: list[tuple[str, re.Pattern[str], bool]] = field(default_factory=list, repr=False)
    # speakers and descriptions recur across an article and a corpus; each match tries every regex
    _matched: dict[str, str | None] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        for party in self.parties:
            for pattern in party.patterns:
                self._compiled.append((party.id, re.compile(pattern, re.I), True))
            for alias in party.aliases:
                # whole words; an alias ending in punctuation (U.N.) has no word boundary after it
                tail = r"\b" if alias[-1:].isalnum() else r"(?!\w)"
                self._compiled.append((party.id, re.compile(r"(?<!\w)" + re.escape(alias) + tail, re.I), False))

    @classmethod
    def from_dicts(cls, items: list[dict[str, Any]], where: str = REGISTRY_FILE) -> "PartyRegistry":
        parties = []
        for i, item in enumerate(items):
            if not isinstance(item, dict) or not item.get("id"):
                raise RegistryError(f"{where}: entry {i + 1} has no 'id'; every party needs id and name")
            aliases = item.get("aliases") or []
            patterns = item.get("patterns") or []
            if not isinstance(aliases, list) or not isinstance(patterns, list):
                raise RegistryError(f"{where}: party '{item['id']}': aliases and patterns must be lists")
            for pattern in patterns:
                try:
                    re.compile(pattern)
                except re.error as exc:
                    raise RegistryError(f"{where}: party '{item['id']}': bad pattern {pattern!r} ({exc})") from None
            parties.append(
                Party(str(item["id"]), str(item.get("name") or item["id"]), tuple(map(str, aliases)), tuple(map(str, patterns)))
            )
        return cls(tuple(parties))

    @classmethod
    def load(cls, corpus: Path) -> "PartyRegistry":
        """The registry of a corpus folder; an empty one when it has no parties.yaml."""
        path = Path(corpus) / REGISTRY_FILE
        return cls.from_file(path) if path.is_file() else cls()

    @classmethod
    def from_file(cls, path: Path) -> "PartyRegistry":
        """A registry file of any name."""
        import yaml

        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise RegistryError(f"{path}: not valid YAML ({exc}); fix or remove the file") from None
        items = data.get("parties", []) if isinstance(data, dict) else data
        if not isinstance(items, list):
            raise RegistryError(f"{path}: expected a list under 'parties:'")
        return cls.from_dicts(items, str(path))

    def fingerprint(self) -> str:
        return repr(self.parties)

    def name(self, party_id: str) -> str:
        for party in self.parties:
            if party.id == party_id:
                return party.name
        return OUTLET_NAME if party_id == OUTLET else party_id

    def match(self, text: str | None) -> str | None:
        """The configured party named in ``text``: patterns first, then the earliest alias."""
        if not text:
            return None
        if text in self._matched:
            return self._matched[text]
        if len(self._matched) >= MATCH_CACHE:
            self._matched.clear()
        best: tuple[int, int, str] | None = None
        for party_id, regex, is_pattern in self._compiled:
            m = regex.search(text)
            if m:
                rank = (0 if is_pattern else 1, m.start(), party_id)
                if best is None or rank[:2] < best[:2]:
                    best = rank
        self._matched[text] = best[2] if best else None
        return self._matched[text]

    def resolve(self, speaker: str | None, description: str | None = None) -> PartyMatch:
        """Party of a speaker: its name, then its description, else a fallback from the name."""
        for text in (speaker, description):
            party = self.match(text)
            if party:
                return PartyMatch(party, self.name(party), True)
        if not speaker:
            return PartyMatch(UNKNOWN, "Unknown source", False)
        # "Reuters' correspondent" -> "Reuters"; "the ministry" -> "ministry"
        owner = _TRAILING_ROLE.sub("", _LEADING.sub("", speaker.strip())).strip() or speaker.strip()
        return PartyMatch(_slug(owner), owner, False)
