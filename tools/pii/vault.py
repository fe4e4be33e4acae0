"""Consistent, reversible placeholders: the same value always gets the same token in a run.

The vault lives on this machine only. Nothing that holds it, or any of its values, is ever
passed to a model client; only pseudonymised text is.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field

from hybridgraph.tools.pii.findings import ENTITY_PREFIXES, Finding, normal_form, resolve_overlaps
from hybridgraph.tools.pii.normalize import strip_invisible

__all__ = ["PLACEHOLDER", "TOKEN_PATTERN", "Restored", "Vault", "pseudonymize", "restore"]

#: A placeholder exactly as ``Vault.token_for`` writes it: ``<PREFIX_n>``.
PLACEHOLDER = re.compile(r"<[A-Z]{2,12}_\d{1,4}>")

#: A placeholder as a model may write it back: any case, brackets lost or HTML-escaped,
#: spaces or a line break inside (``<PERSON_1>``, ``person_1``, ``&lt;ORG_2&gt;``, ``<ORG_\n2>``).
TOKEN_PATTERN = re.compile(
    r"(?:(?:<|&lt;|\[)[ \t]*)?(?<![A-Za-z0-9])(?P<prefix>[A-Za-z]{2,12})[ \t]*[_\-][ \t\r\n]*(?P<n>\d{1,4})"
    r"(?![0-9])(?:[ \t]*(?:>|&gt;|\]))?",
)


@dataclass
class Vault:
    """Real value <-> placeholder for one run. Equal values (ignoring case and spacing) share a token."""

    _tokens: dict[tuple[str, str], str] = field(default_factory=dict)
    _values: dict[str, str] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def token_for(self, prefix: str, value: str) -> str:
        """The placeholder for ``value``, creating ``<PREFIX_n>`` on first sight."""
        key = (prefix, normal_form(value))
        token = self._tokens.get(key)
        if token is None:
            self._counters[prefix] += 1
            token = f"<{prefix}_{self._counters[prefix]}>"
            self._tokens[key] = token
            self._values[token] = value
        return token

    def value_of(self, token: str) -> str | None:
        """The real value behind a canonical token such as ``<PERSON_1>``."""
        return self._values.get(token)

    @property
    def tokens(self) -> list[str]:
        """Every placeholder issued so far."""
        return list(self._values)

    @property
    def values(self) -> list[str]:
        """Every real value held (never send these anywhere)."""
        return list(self._values.values())

    def __len__(self) -> int:
        return len(self._values)

    def mentions(self, text: str) -> list[Finding]:
        """Where the values this vault holds appear in ``text`` (ignoring case and spacing): a value
        found anywhere in a run is replaced wherever it appears, even in an excerpt too short for
        the detector to recognise it again."""
        types = {prefix: entity for entity, prefix in reversed(ENTITY_PREFIXES.items())}
        found = []
        for (prefix, _), token in self._tokens.items():
            words = self._values[token].split()
            if words:
                pattern = r"(?<!\w)" + r"\s+".join(map(re.escape, words)) + r"(?!\w)"
                entity = types.get(prefix, prefix)
                found += [Finding(m.start(), m.end(), entity, 0.99) for m in re.finditer(pattern, text, re.IGNORECASE)]
        return found

    def to_json(self) -> str:
        """The mapping as JSON, for ``VaultStore`` to encrypt; never write this anywhere in the clear."""
        tokens = [[prefix, normal, token] for (prefix, normal), token in self._tokens.items()]
        return json.dumps({"tokens": tokens, "values": self._values, "counters": dict(self._counters)})

    @classmethod
    def from_json(cls, data: str) -> Vault:
        """The vault ``to_json`` wrote."""
        raw = json.loads(data)
        vault = cls()
        vault._tokens = {(prefix, normal): token for prefix, normal, token in raw["tokens"]}
        vault._values = dict(raw["values"])
        vault._counters.update(raw["counters"])
        return vault

    def __repr__(self) -> str:  # never print the values
        return f"Vault({len(self)} values)"


def pseudonymize(text: str, findings: list[Finding], vault: Vault) -> str:
    """``text`` with every finding replaced by its vault placeholder, and without invisible
    characters (``normalize.INVISIBLE``): they could hide a value, and the egress guard refuses them."""
    parts: list[str] = []
    cursor = 0
    for finding in resolve_overlaps(findings):
        parts.append(strip_invisible(text[cursor : finding.start]))
        parts.append(vault.token_for(finding.prefix, text[finding.start : finding.end]))
        cursor = finding.end
    parts.append(strip_invisible(text[cursor:]))
    return "".join(parts)


@dataclass(frozen=True)
class Restored:
    """A model answer with real values put back, and the placeholders that had no value."""

    text: str
    unrestored: tuple[str, ...]


def restore(text: str, vault: Vault) -> Restored:
    """Put real values back into ``text``, tolerating the ways models mangle placeholders."""
    prefixes = {token[1 : token.rindex("_")] for token in vault.tokens}
    missing: list[str] = []

    def replace(match: re.Match[str]) -> str:
        prefix = match.group("prefix").upper()
        if prefix not in prefixes:
            return match.group(0)  # ordinary text such as "COVID-19"
        canonical = f"<{prefix}_{int(match.group('n'))}>"
        value = vault.value_of(canonical)
        if value is None:
            missing.append(canonical)
            return match.group(0)
        return value

    return Restored(TOKEN_PATTERN.sub(replace, text), tuple(dict.fromkeys(missing)))
