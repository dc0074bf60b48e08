"""The school's adults from a CSV export of its MIS or HR system: staff, volunteers, governors
and contractors, kept in step with the training plugin's staff list.

**The default layout** (header row required; headings in any case and order, spaces or
hyphens for underscores; other columns ignored):

``staff_id``
    the MIS's own id for the person (optional, recommended: a person whose email or name
    changes is still recognised);
``first_name`` and ``last_name``, or ``name``
    required;
``email``
    the work email (optional; required for an account);
``job_role``
    one of the training plugin's roles, by key or label (``teacher``, ``support_staff``,
    ``midday_supervisor``, ``office_staff``, ``headteacher``, ``volunteer``, ``governor``,
    ``contractor``);
``safeguarding_role``
    empty, ``dsl`` or ``deputy_dsl`` (what training they need, not a platform role);
``recruits``
    yes/no: sits on recruitment panels (safer recruitment training);
``start_date``, ``leaving_date``
    ``DD/MM/YYYY`` or ``YYYY-MM-DD``, optional;
``account``
    yes/no: the person should sign in to the platform (optional, default no).

A person is recognised by ``staff_id``, then email, then exact name (only when one person on
the list has it). **The file is the whole list** unless ``full=False``: anyone on the list today
whom it no longer names is a leaver and gets today as their leaving date (never deleted, their
training history stays). Nothing is written unless every row is right: each problem is reported
with its line and field. Where a row asks for an account, a person without one gets an account
with no password and an invitation to set their own (:mod:`core.invitations`), and the school's
``staff`` role; nobody's password is chosen by an admin, and no case-file role is ever given
by an import (the trust safeguarding lead gives those).
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from typing import Callable, Iterable

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from core import accounts, audit, invitations
from core.calendar import london_today
from core.db import system_scope
from core.errors import ValidationError
from core.models import Membership, User
from core.policy import Actor, can, require
from plugins.training.importer import RowError, parse_date
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES, StaffMember
from plugins.training.staff import EMAIL_RE, add_person

MAX_BYTES = 300 * 1024  # a school's adults many times over; the preview page carries it back
MAX_ROWS = 3000
COLUMNS = ("staff_id", "first_name", "last_name", "name", "email", "job_role",
           "safeguarding_role", "recruits", "start_date", "leaving_date", "account")
YES, NO = {"yes", "y", "true", "1"}, {"no", "n", "false", "0", ""}
FIELDS = ("name", "email", "job_role", "safeguarding_role", "recruits", "started_on",
          "left_on", "mis_id")


@dataclass
class StaffRow:
    """One good row, as the staff list would hold it."""

    line: int
    mis_id: str | None
    name: str
    email: str | None
    job_role: str
    safeguarding_role: str
    recruits: bool
    started_on: dt.date | None
    left_on: dt.date | None
    account: bool

    def values(self) -> dict:
        return {f: getattr(self, f) for f in FIELDS}


@dataclass
class StaffPlan:
    """What an import would do: the preview, and what :func:`apply_plan` carries out."""

    adds: list[StaffRow] = field(default_factory=list)
    changes: list[tuple[StaffMember, StaffRow, dict]] = field(default_factory=list)
    leavers: list[StaffMember] = field(default_factory=list)
    unchanged: int = 0
    accounts: list[StaffRow] = field(default_factory=list)  # rows that get an invitation
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def counts(self) -> dict:
        return {"adds": len(self.adds), "changes": len(self.changes),
                "leavers": len(self.leavers), "unchanged": self.unchanged,
                "invitations": len(self.accounts), "problems": len(self.errors)}

    def digest(self) -> str:
        """Changes when what the import would do changes (a confirm checks it against the
        preview the admin saw)."""
        parts = [f"+{r.line}" for r in self.adds] + [f"~{p.id}:{sorted(c)}"
                                                     for p, _, c in self.changes]
        parts += [f"-{p.id}" for p in self.leavers] + [f"@{r.line}" for r in self.accounts]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def _heading(text: str | None) -> str:
    return re.sub(r"[\s-]+", "_", (text or "").strip().lower())


def read_rows(data: bytes) -> list[tuple[int, dict]]:
    """The file's rows as (line, {column: text}); a file that cannot be read raises
    ``ValidationError`` on ``file`` or ``header``."""
    if len(data) > MAX_BYTES:
        raise ValidationError({"file": [f"is larger than {MAX_BYTES // 1024} KB: is it the "
                                        "staff list?"]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError({"file": ["is not UTF-8 text: save it as CSV UTF-8"]}) from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise ValidationError({"file": ["is empty: it needs a header row"]})
    reader.fieldnames = [_heading(h) for h in reader.fieldnames]
    header = set(reader.fieldnames)
    missing = [] if "name" in header or {"first_name", "last_name"} <= header else \
        ["name (or first_name and last_name)"]
    missing += [] if "job_role" in header else ["job_role"]
    if missing:
        raise ValidationError({"header": [f"missing column: {m}" for m in missing]})
    rows = []
    try:
        for row in reader:
            if len(rows) >= MAX_ROWS:
                raise ValidationError({"file": [f"has more than {MAX_ROWS} rows"]})
            clean = {k: (v or "").strip() for k, v in row.items() if k in COLUMNS}
            if any(clean.values()):
                rows.append((reader.line_num, clean))
    except csv.Error as exc:
        raise ValidationError({"file": [f"line {reader.line_num}: {exc}"]}) from None
    return rows


_ROLE_WORDS = {**{k: k for k in JOB_ROLES}, **{v.lower(): k for k, v in JOB_ROLES.items()},
               **{v.split(" (")[0].lower(): k for k, v in JOB_ROLES.items()}}
_SG_WORDS = {"": "", "none": "", "dsl": "dsl", "deputy_dsl": "deputy_dsl", "deputy dsl": "deputy_dsl",
             **{v.lower(): k for k, v in SAFEGUARDING_ROLES.items() if k}}


def _flag(row: dict, key: str, line: int, errors: list[RowError]) -> bool:
    value = row.get(key, "").lower()
    if value not in YES | NO:
        errors.append(RowError(line, key, f"{row[key]!r} is not yes or no"))
    return value in YES


def _date(row: dict, key: str, line: int, errors: list[RowError]) -> dt.date | None:
    if not row.get(key):
        return None
    try:
        return parse_date(row[key])
    except ValueError:
        errors.append(RowError(line, key, f"{row[key]!r} is not a date between 1900 and 2100 "
                                          "(use DD/MM/YYYY or YYYY-MM-DD)"))
        return None


def check_row(line: int, row: dict) -> tuple[StaffRow | None, list[RowError]]:
    """One row as the staff list would hold it, or the problems, each naming its field."""
    errors: list[RowError] = []
    name = " ".join((row.get("name") or f"{row.get('first_name', '')} "
                     f"{row.get('last_name', '')}").split())
    if not name:
        errors.append(RowError(line, "name" if "name" in row else "last_name", "is required"))
    elif len(name) > 200:
        errors.append(RowError(line, "name", "is longer than 200 characters"))
    email = row.get("email", "").lower() or None
    if email and (len(email) > 254 or not EMAIL_RE.match(email)):
        errors.append(RowError(line, "email", f"{row['email']!r} is not an email address"))
    job_role = _ROLE_WORDS.get(row.get("job_role", "").lower())
    if job_role is None:
        errors.append(RowError(line, "job_role", f"{row.get('job_role', '')!r} is not one of: "
                                                 f"{', '.join(JOB_ROLES)}"))
    sg = _SG_WORDS.get(row.get("safeguarding_role", "").lower())
    if sg is None:
        errors.append(RowError(line, "safeguarding_role", "must be empty, dsl or deputy_dsl"))
    mis_id = row.get("staff_id") or None
    if mis_id and len(mis_id) > 40:
        errors.append(RowError(line, "staff_id", "is longer than 40 characters"))
    recruits, account = _flag(row, "recruits", line, errors), _flag(row, "account", line, errors)
    started, left = _date(row, "start_date", line, errors), _date(row, "leaving_date", line, errors)
    if started and left and left < started:
        errors.append(RowError(line, "leaving_date", "is before the start date"))
    if account and not email:
        errors.append(RowError(line, "account", "an account needs the person's email"))
    if errors:
        return None, errors
    return StaffRow(line, mis_id, name, email, job_role, sg, recruits, started, left,
                    account), []


class _Matcher:
    """Finds the person a row means on the current list: staff id, then email, then a name
    only one person has."""

    def __init__(self, people: list[StaffMember]):
        """``people`` in order of preference (those on the list today first)."""
        self.by_mis: dict[str, StaffMember] = {}
        self.by_email: dict[str, StaffMember] = {}
        self.by_name: dict[str, list[StaffMember]] = {}
        for p in people:
            if p.mis_id:
                self.by_mis.setdefault(p.mis_id, p)
            if p.email:
                self.by_email.setdefault(p.email, p)
            self.by_name.setdefault(p.name.lower(), []).append(p)

    def find(self, row: StaffRow) -> StaffMember | None:
        if row.mis_id and row.mis_id in self.by_mis:
            return self.by_mis[row.mis_id]
        if row.email and row.email in self.by_email:
            return self.by_email[row.email]
        same = self.by_name.get(row.name.lower(), [])
        return same[0] if len(same) == 1 and not (row.mis_id and same[0].mis_id) else None


def _duplicates(rows: list[StaffRow]) -> list[RowError]:
    errors, seen = [], {}
    for row in rows:
        for key, value in (("staff_id", row.mis_id), ("email", row.email)):
            if value and (key, value) in seen:
                errors.append(RowError(row.line, key, f"{value} is also on line "
                                                      f"{seen[(key, value)]}"))
            elif value:
                seen[(key, value)] = row.line
    return errors


def _needs_account(session: Session, school_id: int, row: StaffRow) -> bool:
    """Whether the row's person still needs an account or the school's staff role."""
    if not row.account:
        return False
    with system_scope(session, "staff import: does the person have an account here"):
        user = session.scalar(select(User).where(func.lower(User.email) == row.email))
        return user is None or session.scalar(select(Membership.id).where(
            Membership.user_id == user.id, Membership.school_id == school_id).limit(1)) is None


def plan_import(session: Session, actor: Actor | None, school_id: int, data: bytes, *,
                full: bool = True, today: dt.date | None = None) -> StaffPlan:
    """Check every row of a staff CSV and work out the import without writing anything:
    adds, changes (field -> (old, new)), leavers (only with ``full``), invitations, and every
    problem by line and field. Needs ``training.manage``; rows asking for an account need the
    school's admin (``school.admin``) too. A bad file raises ``ValidationError``."""
    if actor is not None:
        require(actor, "training.manage", school_id)
    today = today or london_today()
    plan = StaffPlan()
    good: list[StaffRow] = []
    for line, raw in read_rows(data):
        row, errors = check_row(line, raw)
        plan.errors += errors
        if row is not None:
            good.append(row)
    plan.errors += _duplicates(good)
    if actor is not None and not can(actor, "school.admin", school_id):
        plan.errors += [RowError(r.line, "account", "only the school's admin can give "
                                                     "accounts: leave it empty") for r in good
                        if r.account]
    current = list(session.scalars(select(StaffMember).where(
        StaffMember.school_id == school_id,
        or_(StaffMember.left_on.is_(None), StaffMember.left_on >= today))
        .order_by(StaffMember.name, StaffMember.id)))
    everyone = list(session.scalars(select(StaffMember).where(
        StaffMember.school_id == school_id).order_by(StaffMember.id)))
    matcher, claimed = _Matcher(current + [p for p in everyone if p not in current]), {}
    for row in good:
        person = matcher.find(row)
        if person is not None and person.id in claimed:
            plan.errors.append(RowError(row.line, "name", f"is the same person as line "
                                                          f"{claimed[person.id]}"))
            continue
        if person is None:
            plan.adds.append(row)
        else:
            claimed[person.id] = row.line
            changed = {f: (getattr(person, f), v) for f, v in row.values().items()
                       if v != getattr(person, f) and not (f == "mis_id" and v is None)}
            owner = matcher.by_email.get(row.email) if "email" in changed else None
            if owner is not None and owner.id != person.id:
                plan.errors.append(RowError(row.line, "email", f"{row.email} is {owner.name}'s "
                                                               "on the staff list"))
                continue
            if changed:
                plan.changes.append((person, row, changed))
            else:
                plan.unchanged += 1
        if _needs_account(session, school_id, row):
            plan.accounts.append(row)
    if full:
        plan.leavers = [p for p in current if p.id not in claimed]
    return plan


def _invite(session: Session, school_id: int, row: StaffRow, link: Callable[[str], str],
            by_user_id: int | None) -> str | None:
    """An account and the school's staff role for the row's person; an invitation when the
    account is new. Returns the invitation link (None for an existing account)."""
    with system_scope(session, "staff import: account and staff role"):
        user = session.scalar(select(User).where(func.lower(User.email) == row.email))
        new = user is None
        if new:
            user = accounts.create_user(session, row.email, row.name, None)
        accounts.grant_role(session, user.id, "staff", school_id=school_id)
        return invitations.invite(session, user.id, link, by_user_id=by_user_id) if new else None


def apply_plan(session: Session, actor: Actor | None, school_id: int, plan: StaffPlan, *,
               link: Callable[[str], str] | None = None, today: dt.date | None = None,
               progress: Callable[[Iterable], Iterable] = lambda items: items) -> dict:
    """Carry out a checked plan in the caller's transaction (nothing if it has problems:
    ``ValidationError``). Leavers get ``today`` as their leaving date. ``link`` makes an
    invitation URL from its token (needed when the plan invites anyone). Returns the counts
    and the invitation links (shown once where mail is not set up). Audited."""
    if not plan.ok:
        raise ValidationError({"file": [f"{len(plan.errors)} problem(s): nothing imported"]})
    if plan.accounts and link is None:
        raise ValidationError({"site": ["the invitations need the site's address"]})
    today = today or london_today()
    steps = [("add", r) for r in plan.adds] + [("change", c) for c in plan.changes] + \
        [("leave", p) for p in plan.leavers]
    for kind, item in progress(steps):
        if kind == "add":
            person = add_person(session, actor, school_id, item.values())
            person.mis_id = item.mis_id
        elif kind == "change":
            person, row, changed = item
            for f, (_, new) in changed.items():
                setattr(person, f, new)
            audit.record(session, "training.person_changed", actor=actor,
                         object_type="training_staff", object_id=person.id,
                         school_id=school_id, detail={"fields": sorted(changed),
                                                      "source": "staff import"})
        else:
            item.left_on = today if item.started_on is None or item.started_on <= today \
                else item.started_on
            audit.record(session, "training.person_left", actor=actor,
                         object_type="training_staff", object_id=item.id, school_id=school_id,
                         detail={"left_on": item.left_on.isoformat(), "source": "staff import"})
    links = [(r.name, r.email, _invite(session, school_id, r, link,
                                       actor.user_id if actor else None))
             for r in plan.accounts]
    session.flush()
    counts = plan.counts()
    audit.record(session, "training.staff_imported", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id, detail=counts)
    return {**counts, "links": [(n, e, u) for n, e, u in links if u]}
