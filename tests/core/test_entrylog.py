"""The one mechanism behind the append-only logs of typed entries (core/entrylog.py): rules are
data, every problem is reported at once on the field it concerns, and the three logs of the
platform (concern entries, Encompass steps, transfer events) are declared with it."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.concerns import ENTRIES
from core.entrylog import Draft, EntryLog, EntryRule, Field
from core.errors import ValidationError

STATUSES = ("open", "closed", "archived")


def _positive(_draft, value):
    return None if value > 0 else ["must be positive"]


LOG = EntryLog("test", [
    EntryRule("note", "Note", body=True, takes=("size",)),
    EntryRule("close", "Close", body=True, refused_in=("closed",),
              refused_message="the record is already {status}"),
    EntryRule("reopen", "Reopen", allowed_in=("closed",), refused_message="not closed"),
    EntryRule("measure", "Measure", requires=("size",)),
    EntryRule("answer", "Answer", refers_to="note", refers_message="name a note"),
    EntryRule("amend", "Amend", refers_to="*", refers_optional=True,
              refers_message="name an entry"),
    EntryRule("tag", "Tag", takes=("colour",),
              checks=(lambda d: {"colour": ["red is taken"]}
                      if d.values.get("colour") == "red" else None,)),
], fields=[Field("size", check=_positive, required_message="give a size",
                 stray_message="only notes and measures have a size"),
           Field("colour")],
    max_body=20)


def draft(kind, *, body="", status="open", values=None, entries=(), refers_to_id=None):
    return Draft(kind, body, values or {}, list(entries), status, None, None, None, refers_to_id)


def errors_of(d) -> dict:
    with pytest.raises(ValidationError) as exc:
        LOG.check(d)
    return exc.value.errors


def test_an_unknown_kind_is_refused_on_kind_naming_the_choices():
    assert errors_of(draft("delete")) == {"kind": [f"one of {', '.join(LOG.kinds)}"]}


def test_every_problem_is_reported_at_once():
    errors = errors_of(draft("close", status="closed", body=""))
    assert errors == {"kind": ["the record is already closed"],
                      "body": ["is required for this kind of entry"]}


@given(kind=st.sampled_from(["note", "close", "reopen"]), status=st.sampled_from(STATUSES))
def test_the_status_rule_is_the_same_in_check_and_allows(kind, status):
    d = draft(kind, body="why", status=status)
    if LOG.allows(kind, status):
        LOG.check(d)
        assert LOG.status_errors(kind, status) == {}
    else:
        assert "kind" in errors_of(d)
        with pytest.raises(ValidationError):
            LOG.require_status(kind, status)


def test_required_field_checked_field_and_stray_field():
    assert errors_of(draft("measure")) == {"size": ["give a size"]}
    assert errors_of(draft("measure", values={"size": -1})) == {"size": ["must be positive"]}
    assert LOG.check(draft("measure", values={"size": 3})) == {"size": 3}
    assert errors_of(draft("close", body="x", values={"size": 3})) == {
        "size": ["only notes and measures have a size"]}


def test_a_field_without_a_stray_message_is_dropped_for_kinds_that_do_not_carry_it():
    assert LOG.check(draft("note", body="x", values={"colour": "blue"})) == {}
    assert LOG.check(draft("tag", values={"colour": "blue"})) == {"colour": "blue"}


def test_a_kind_check_adds_its_own_errors():
    assert errors_of(draft("tag", values={"colour": "red"})) == {"colour": ["red is taken"]}


def test_references_name_an_earlier_entry_of_the_right_kind():
    note = SimpleNamespace(id=7, kind="note")
    other = SimpleNamespace(id=8, kind="close")
    earlier = [note, other]
    LOG.check(draft("answer", entries=earlier, refers_to_id=7))
    assert errors_of(draft("answer", entries=earlier, refers_to_id=8)) == {
        "refers_to_id": ["name a note"]}
    assert errors_of(draft("answer", entries=earlier)) == {"refers_to_id": ["name a note"]}
    LOG.check(draft("amend", entries=earlier))  # none: the original record
    LOG.check(draft("amend", entries=earlier, refers_to_id=8))  # any entry
    assert errors_of(draft("amend", entries=earlier, refers_to_id=99)) == {
        "refers_to_id": ["name an entry"]}


@given(st.text(min_size=0, max_size=40))
def test_the_body_limit(body):
    d = draft("note", body=body)
    if not body:
        assert errors_of(d) == {"body": ["is required for this kind of entry"]}
    elif len(body) > 20:
        assert errors_of(d) == {"body": ["must be at most 20 characters"]}
    else:
        LOG.check(d)


def test_a_log_refuses_a_kind_declared_twice_or_an_undeclared_field():
    with pytest.raises(ValueError, match="declared twice"):
        EntryLog("x", [EntryRule("a", "A"), EntryRule("a", "A again")])
    with pytest.raises(ValueError, match="undeclared fields"):
        EntryLog("x", [EntryRule("a", "A", requires=("size",))])


def test_the_platforms_logs_are_declared_with_it():
    from plugins.encompass.response import STEPS
    from plugins.transition.transfers import EVENTS
    assert ENTRIES.labels()["closure"] == "Closure"
    assert not ENTRIES.allows("triage", "closed") and ENTRIES.allows("note", "closed")
    assert STEPS.allows("reopened", "closed") and not STEPS.allows("support", "closed")
    assert EVENTS.allows("sent", "failed") and not EVENTS.allows("accepted", "sent")
