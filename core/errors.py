"""Errors the services raise. Views turn them into 404 / 422 answers; the CLI into messages."""
from __future__ import annotations


class NotFound(Exception):
    """The record does not exist *or* the actor may not know it exists (we never say which)."""


class ValidationError(Exception):
    """Bad input. ``errors`` maps each bad field to a list of messages."""

    def __init__(self, errors: dict[str, list[str] | str] | str, field: str | None = None):
        if isinstance(errors, str):
            errors = {field or "_schema": [errors]}
        self.errors = {k: ([v] if isinstance(v, str) else list(v)) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {', '.join(v)}" for k, v in self.errors.items()))


class AppendOnlyViolation(Exception):
    """An attempt to edit or delete a record that may only be appended to."""


class TenantViolation(Exception):
    """An attempt to read or write outside the tenants the current scope allows."""
