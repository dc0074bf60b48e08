"""Append-only logs of typed entries, declared once per log.

Three records of the platform grow the same way: the DSL's entries on a concern
(:mod:`core.concerns`), the steps of the response to a police notification (the encompass
plugin) and the events of a file transfer (the transition plugin). Each is a list of rows that
are never edited; each row has a kind; what a kind needs (a body, a due date, the earlier entry
it answers) and when it may be added (not to a closed record...) is a rule of that kind.

A log is declared as data::

    LOG = EntryLog("concern", [
        EntryRule("note", "Note", body=True),
        EntryRule("closure", "Closure", body=True, refused_in=("closed",),
                  refused_message="this concern is already closed"),
        EntryRule("action", "Action", body=True, requires=("due_date",), checks=(_not_past,)),
    ], fields=[Field("due_date", required_message="an action needs a due date")])

and used in two steps: :meth:`EntryLog.check` answers every problem with a draft at once (a
:class:`core.errors.ValidationError` naming each field), :meth:`EntryLog.append` adds the row
the caller built, flushes, audits it as ``<audit_prefix>.<kind>`` and runs the kind's
``after`` step. Who may add an entry stays a policy action (:func:`core.policy.require`),
checked by the caller before it loads the record, so a person without access learns nothing.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from core import audit
from core.errors import ValidationError
from core.policy import Actor

Errors = dict[str, list[str]]


@dataclass
class Draft:
    """An entry about to be added: what was asked, and the record it is added to."""

    kind: str
    body: str
    values: dict[str, Any]
    entries: Sequence[Any]  # the record's earlier entries, oldest first
    status: str  # the record's status before this entry
    session: Session
    actor: Actor | None
    parent: Any  # the concern, notification or transfer
    refers_to_id: int | None = None

    def earlier(self, entry_id: int | None) -> Any | None:
        """The earlier entry of this record with that id, or ``None``."""
        return next((e for e in self.entries if e.id == entry_id), None)


Check = Callable[[Draft], "Errors | None"]


@dataclass(frozen=True)
class Field:
    """A field some kinds carry. ``check`` validates a given value (returns the messages);
    ``required_message`` is said when a kind that requires it has none; ``stray_message`` when
    a kind that does not carry it is given one (``None``: the value is dropped quietly)."""

    name: str
    check: Callable[[Draft, Any], list[str] | None] | None = None
    required_message: str = "is required for this kind of entry"
    stray_message: str | None = None


@dataclass(frozen=True)
class EntryRule:
    """What one kind of entry needs and when it may be added.

    ``body``: a text is required (``body_message`` says so). ``requires`` and ``takes``: the
    log's fields this kind must have and may have. ``refused_in``/``allowed_in``: the record
    statuses in which it may not / may only be added, with ``refused_message`` (``{status}``
    in it is replaced by the record's status in words). ``refers_to``:
    the kind of earlier entry it must name (``"*"``: any entry of the record; with
    ``refers_optional`` it may name none). ``checks``: further rules, each returning errors.
    ``after``: run once the entry is stored (resolve an alert, mirror a status).
    """

    kind: str
    label: str
    body: bool = False
    body_message: str = "is required for this kind of entry"
    requires: tuple[str, ...] = ()
    takes: tuple[str, ...] = ()
    refused_in: tuple[str, ...] = ()
    allowed_in: tuple[str, ...] | None = None
    refused_message: str = ""
    refers_to: str | None = None
    refers_optional: bool = False
    refers_message: str = ""
    checks: tuple[Check, ...] = ()
    after: Callable[[Draft, Any], None] | None = None

    def carries(self, name: str) -> bool:
        return name in self.requires or name in self.takes


@dataclass
class EntryLog:
    """The rules of one append-only log: its kinds, its fields, how its entries are audited."""

    name: str
    rules: Sequence[EntryRule]
    fields: Sequence[Field] = ()
    max_body: int | None = None
    audit_prefix: str = ""
    object_type: str = ""
    id_key: str = "entry_id"  # the new row's id in the audit entry's detail
    status_key: str = "kind"  # the field an error about the record's status is reported on
    body_key: str = "body"  # the field the body is reported on
    _by_kind: dict[str, EntryRule] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._by_kind = {r.kind: r for r in self.rules}
        if len(self._by_kind) != len(self.rules):
            raise ValueError(f"{self.name}: a kind is declared twice")
        known = {f.name for f in self.fields}
        for r in self.rules:
            if unknown := set(r.requires + r.takes) - known:
                raise ValueError(f"{self.name}.{r.kind}: undeclared fields {sorted(unknown)}")

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(self._by_kind)

    def labels(self) -> dict[str, str]:
        return {r.kind: r.label for r in self.rules}

    def rule(self, kind: str, among: Iterable[str] | None = None) -> EntryRule:
        """The rule of ``kind``; a :class:`ValidationError` on ``kind`` when there is none."""
        allowed = tuple(among) if among is not None else self.kinds
        if kind not in allowed or kind not in self._by_kind:
            raise ValidationError({"kind": [f"one of {', '.join(allowed)}"]})
        return self._by_kind[kind]

    def allows(self, kind: str, status: str) -> bool:
        """Whether an entry of ``kind`` may be added to a record in ``status``."""
        rule = self._by_kind[kind]
        return status not in rule.refused_in and (rule.allowed_in is None
                                                  or status in rule.allowed_in)

    def status_errors(self, kind: str, status: str) -> Errors:
        """The error :meth:`check` gives when the record's status does not allow ``kind``."""
        if self.allows(kind, status):
            return {}
        return {self.status_key: [self._refusal(self._by_kind[kind], status)]}

    def require_status(self, kind: str, status: str) -> None:
        """Refuse early, before work that the entry would conclude, when the record's status
        does not allow ``kind`` (the same rule :meth:`check` applies)."""
        if errors := self.status_errors(kind, status):
            raise ValidationError(errors)

    def check(self, draft: Draft) -> dict[str, Any]:
        """Every problem with ``draft`` at once, as :class:`ValidationError`; returns the
        values the kind carries (others dropped) when there is none."""
        rule = self.rule(draft.kind)
        errors: Errors = self.status_errors(rule.kind, draft.status)
        if rule.body and not draft.body:
            errors[self.body_key] = [rule.body_message]
        kept = self._check_fields(rule, draft, errors)
        self._check_reference(rule, draft, errors)
        for check in rule.checks:
            errors.update(check(draft) or {})
        if self.max_body is not None and len(draft.body) > self.max_body:
            errors[self.body_key] = [f"must be at most {self.max_body} characters"]
        if errors:
            raise ValidationError(errors)
        return kept

    def append(self, draft: Draft, row: Any, *, object_id: int, school_id: int,
               detail: dict | None = None) -> Any:
        """Store ``row`` (built by the caller from the checked draft), audit it (the row's id
        under ``id_key``, plus ``detail``) and run the kind's ``after`` step."""
        draft.session.add(row)
        draft.session.flush()
        audit.record(draft.session, f"{self.audit_prefix}.{draft.kind}", actor=draft.actor,
                     object_type=self.object_type, object_id=object_id, school_id=school_id,
                     detail={self.id_key: row.id, **(detail or {})})
        rule = self._by_kind[draft.kind]
        if rule.after is not None:
            rule.after(draft, row)
        return row

    # --- the parts of a check -------------------------------------------------------------

    @staticmethod
    def _refusal(rule: EntryRule, status: str) -> str:
        return rule.refused_message.format(status=status.replace("_", " "))

    def _check_fields(self, rule: EntryRule, draft: Draft, errors: Errors) -> dict[str, Any]:
        kept: dict[str, Any] = {}
        for f in self.fields:
            value = draft.values.get(f.name)
            given = value not in (None, "", [], ())
            if not rule.carries(f.name):
                if given and f.stray_message:
                    errors[f.name] = [f.stray_message]
                continue
            if not given:
                if f.name in rule.requires:
                    errors[f.name] = [f.required_message]
                continue
            if f.check and (problems := f.check(draft, value)):
                errors[f.name] = problems
            kept[f.name] = value
        return kept

    @staticmethod
    def _check_reference(rule: EntryRule, draft: Draft, errors: Errors) -> None:
        if rule.refers_to is None:
            return
        if draft.refers_to_id is None and rule.refers_optional:
            return
        target = draft.earlier(draft.refers_to_id)
        if target is None or rule.refers_to not in ("*", target.kind):
            errors["refers_to_id"] = [rule.refers_message]
