"""The one exception tree of hybridgraph.

Every error a user can cause or meet carries two parts: ``message`` says what is
wrong, ``fix`` says what to do about it. Messages never contain document content,
prompts or model answers, only names the user chose (models, files, hosts, variables).
Exceptions do not log when constructed; the CLI renders them.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "AuditError",
    "CircuitOpenError",
    "ConfigError",
    "ContextOverflowError",
    "CredentialsError",
    "DependencyMissingError",
    "EgressBlocked",
    "EndpointUnreachableError",
    "HybridGraphError",
    "InputError",
    "ModelCallError",
    "ModelError",
    "ModelNotPulledError",
    "ModelTimeoutError",
    "PrivacyError",
    "RateLimitedError",
    "StructuredOutputError",
    "UnknownModelError",
]


class HybridGraphError(Exception):
    """Base of every error hybridgraph raises on purpose."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(message if fix is None else f"{message}\nFix: {fix}")


class ConfigError(HybridGraphError):
    """A configuration file or value is invalid. Carries the location when known."""

    def __init__(
        self,
        message: str,
        *,
        fix: str | None = None,
        path: Path | str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.path = None if path is None else Path(path)
        self.line = line
        self.column = column
        super().__init__(_locate(message, self.path, line, column), fix=fix)


def _locate(message: str, path: Path | None, line: int | None, column: int | None) -> str:
    if path is None:
        return message
    where = str(path)
    if line is not None:
        where += f":{line}"
        if column is not None:
            where += f":{column}"
    return f"{where}: {message}"


class UnknownModelError(ConfigError):
    """A model string or endpoint name could not be resolved."""


class InputError(HybridGraphError):
    """An input document cannot be processed: empty, binary, unreadable or malformed."""


class DependencyMissingError(HybridGraphError):
    """An optional dependency (an extra) is needed but not installed."""


class ModelError(HybridGraphError):
    """A model endpoint could not serve a request."""

    def __init__(self, message: str, *, fix: str | None = None, endpoint: str | None = None) -> None:
        self.endpoint = endpoint
        super().__init__(message, fix=fix)


class EndpointUnreachableError(ModelError):
    """The server behind an endpoint did not answer (refused, DNS, network)."""


class ModelNotPulledError(ModelError):
    """The server answered but does not have the model."""


class CredentialsError(ModelError):
    """A cloud endpoint lacks the credentials its provider needs."""


class ModelTimeoutError(ModelError):
    """A model call ran past its timeout."""


class ModelCallError(ModelError):
    """The endpoint answered with an error that none of the above describes; ``status`` is its
    HTTP status when there was one (5xx errors are worth a retry)."""

    def __init__(
        self, message: str, *, fix: str | None = None, endpoint: str | None = None, status: int | None = None
    ) -> None:
        self.status = status
        super().__init__(message, fix=fix, endpoint=endpoint)


class RateLimitedError(ModelError):
    """The endpoint asked to slow down (HTTP 429); ``retry_after_s`` is its Retry-After, if it sent one."""

    def __init__(
        self, message: str, *, fix: str | None = None, endpoint: str | None = None, retry_after_s: float | None = None
    ) -> None:
        self.retry_after_s = retry_after_s
        super().__init__(message, fix=fix, endpoint=endpoint)


class CircuitOpenError(ModelError):
    """The endpoint failed too often lately; calls fail fast until ``retry_in_s`` has passed."""

    def __init__(
        self, message: str, *, fix: str | None = None, endpoint: str | None = None, retry_in_s: float = 0.0
    ) -> None:
        self.retry_in_s = retry_in_s
        super().__init__(message, fix=fix, endpoint=endpoint)


class ContextOverflowError(ModelError):
    """The request does not fit the endpoint's context window."""


class StructuredOutputError(ModelError):
    """The model's answer did not parse as JSON matching the requested schema."""


class PrivacyError(HybridGraphError):
    """Sensitive data would cross a trust boundary."""


class EgressBlocked(PrivacyError):
    """The egress guard found sensitive entities in a payload bound for a non-local zone.

    ``counts`` maps entity types to how often they occur; the values themselves are never kept.
    """

    def __init__(self, message: str, *, fix: str | None = None, counts: dict[str, int] | None = None) -> None:
        self.counts = dict(counts or {})
        super().__init__(message, fix=fix)


class AuditError(PrivacyError):
    """The audit log cannot take an entry, or does not verify (damaged, cut, re-chained, or
    written under another key). No non-local call is made without its intent entry, so this
    error stops the call before anything is sent."""
