"""Finding concerns: words searched across what was recorded and every DSL entry, filters,
pages that neither repeat nor skip a concern, and the CSV export of a filtered list.

The words are matched by the database's own full-text search: on PostgreSQL ``to_tsvector``
('english', so "bruised" finds "bruise") through GIN indexes on the expressions below; on
SQLite FTS5 tables (``porter`` stemming, accents folded) kept by triggers (migration c0007).
Each word (or "quoted phrase") must be found somewhere in the concern: its fact, the child's
words, the opinion, the location, or the body of any DSL entry. A member of staff searching
their own concerns searches what they recorded only: the DSL's entries are not theirs to
read, so they may not even learn that a word is in them.
"""
from __future__ import annotations

import base64
import binascii
import csv
import datetime as dt
import io
import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import (and_, bindparam, case, exists, func, literal_column, or_, select, table,
                        column, union)
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON, london_today, uk_datetime
from core.errors import ValidationError
from core.models import (Concern, ConcernCategory, ConcernCategoryLink, ConcernEntry,
                         ConcernPupil, Membership, Pupil, PupilFlag, School, User)
from core.models.concerns import RISK_LEVELS
from core.models.pupils import FLAGS, YEAR_GROUPS
from core.plugins import current_host
from core.policy import Actor, require

STATUSES = ("awaiting_triage", "open", "closed")
PER_PAGE, MAX_PER_PAGE = 50, 100
MAX_QUERY, MAX_TERMS = 200, 12

# What the search reads, as SQL. Migration c0007 writes the same expressions out for its
# indexes; PostgreSQL uses an expression index only for the very same expression, which
# tests/core/test_concern_search.py checks with EXPLAIN.
CONCERN_FIELDS = ("fact", "child_words", "opinion", "location")
PG_CONFIG = "english"
FTS_TABLES = {"concerns": "concerns_search", "concern_entries": "concern_entries_search"}
PG_INDEXES = {"concerns": "ix_concerns_search", "concern_entries": "ix_concern_entries_search"}


def pg_document(table_name: str, prefix: str = "") -> str:
    """The text search vector of a row of ``concerns`` (its four fields) or
    ``concern_entries`` (the body), as the index is built on it."""
    fields = CONCERN_FIELDS if table_name == "concerns" else ("body",)
    text = " || ' ' || ".join(prefix + f for f in fields)
    return f"to_tsvector('{PG_CONFIG}'::regconfig, {text})"


def search_objects() -> tuple[set[str], set[str]]:
    """Tables and indexes the search keeps outside the models (FTS5 tables with their shadow
    tables, expression indexes): ``alembic check`` leaves them alone."""
    return set(FTS_TABLES.values()), set(PG_INDEXES.values())


# --- the columns lists filter and show ------------------------------------------------------

def status_column():
    """Each concern's status as SQL, by the same rule as :func:`core.concerns.concern_status`
    (closed when its latest closure/reopening is a closure; open once a DSL has worked on it;
    otherwise awaiting triage), so lists filter and count in the database rather than in
    Python."""
    same = and_(ConcernEntry.concern_id == Concern.id, ConcernEntry.school_id == Concern.school_id)
    latest_turn = (select(ConcernEntry.kind)
                   .where(same, ConcernEntry.kind.in_(("closure", "reopened")))
                   .order_by(ConcernEntry.created_at.desc(), ConcernEntry.id.desc()).limit(1)
                   .correlate(Concern).scalar_subquery())
    worked = exists().where(same, ConcernEntry.kind.not_in(("amendment", "note")))
    return case((latest_turn == "closure", "closed"), (worked, "open"),
                else_="awaiting_triage")


def risk_column():
    """The risk level of each concern's latest triage (None until triaged)."""
    return (select(ConcernEntry.risk_level)
            .where(ConcernEntry.concern_id == Concern.id,
                   ConcernEntry.school_id == Concern.school_id, ConcernEntry.kind == "triage")
            .order_by(ConcernEntry.created_at.desc(), ConcernEntry.id.desc()).limit(1)
            .correlate(Concern).scalar_subquery())


# --- what is asked for ----------------------------------------------------------------------

@dataclass(frozen=True)
class ConcernFilters:
    """What a list is narrowed to; every field is optional. Names are the query parameters of
    the page and the API, so a refusal names the field the caller sent."""

    q: str = ""
    status: tuple[str, ...] = ()
    category_id: int | None = None
    occurred_from: dt.date | None = None
    occurred_to: dt.date | None = None
    risk: str | None = None
    recorded_by: int | None = None
    pupil_id: int | None = None
    year_group: int | None = None
    flag: str | None = None

    def given(self) -> dict:
        """The filters set, as query parameters (for links, the audit log and the export)."""
        out = {}
        for key, value in asdict(self).items():
            if value in (None, "", ()):
                continue
            if isinstance(value, dt.date):
                value = value.isoformat()
            out[key] = list(value) if isinstance(value, tuple) else value
        return out


def terms_of(q: str) -> list[tuple[str, bool]]:
    """The words and "quoted phrases" of a search, each as (text, is_phrase); pieces with no
    letter or digit (a lone hyphen) are dropped, as the search could not match them."""
    found = []
    for phrase, word in re.findall(r'"([^"]*)"|(\S+)', q or ""):
        text = (phrase or word).replace('"', " ").strip()
        if re.search(r"[^\W_]", text):
            found.append((text, bool(phrase)))
    return found


def check_filters(session: Session, school_id: int, f: ConcernFilters, *,
                  mine: bool = False) -> None:
    """Refuse filters that cannot mean anything here, naming each field: a category not of
    the school's trust, a pupil not of the school, a date range ending before it starts. In
    one's own list (``mine``), what the DSL team made of a concern (its status, its risk) and
    the case file's flags are not there to filter by."""
    errors: dict[str, list[str]] = {}
    if len(f.q) > MAX_QUERY:
        errors["q"] = [f"must be at most {MAX_QUERY} characters"]
    elif len(terms_of(f.q)) > MAX_TERMS:
        errors["q"] = [f"search for at most {MAX_TERMS} words at a time"]
    if bad := [s for s in f.status if s not in STATUSES]:
        errors["status"] = [f"{s!r} is not one of {', '.join(STATUSES)}" for s in bad]
    if f.occurred_from and f.occurred_to and f.occurred_from > f.occurred_to:
        errors["occurred_to"] = ["must not be before occurred_from"]
    if f.risk is not None and f.risk not in RISK_LEVELS:
        errors["risk"] = [f"one of {', '.join(RISK_LEVELS)}"]
    if f.year_group is not None and f.year_group not in YEAR_GROUPS:
        errors["year_group"] = ["from -1 (nursery) and 0 (reception) to 14"]
    if f.flag is not None and f.flag not in FLAGS:
        errors["flag"] = [f"one of {', '.join(FLAGS)}"]
    if mine:
        for name in ("status", "risk", "flag"):
            if getattr(f, name):
                errors[name] = ["is for the DSL team's list, not your own"]
    errors.update(_check_records(session, school_id, f))
    if errors:
        raise ValidationError(errors)


def _check_records(session: Session, school_id: int, f: ConcernFilters) -> dict:
    errors = {}
    if f.category_id is not None and session.scalar(
            select(ConcernCategory.id).where(
                ConcernCategory.id == f.category_id,
                ConcernCategory.trust_id == select(School.trust_id)
                .where(School.id == school_id).scalar_subquery())) is None:
        errors["category_id"] = [f"unknown category {f.category_id}"]
    if f.pupil_id is not None and session.scalar(select(Pupil.id).where(
            Pupil.id == f.pupil_id, Pupil.school_id == school_id)) is None:
        errors["pupil_id"] = [f"no pupil {f.pupil_id} in this school"]
    if f.recorded_by is not None and session.scalar(select(User.id).where(
            User.id == f.recorded_by,
            or_(exists().where(Membership.user_id == User.id,
                               Membership.school_id == school_id),
                exists().where(Concern.recorded_by_id == User.id,
                               Concern.school_id == school_id)))) is None:
        errors["recorded_by"] = [f"no member of staff {f.recorded_by} in this school"]
    return errors


# --- the query ------------------------------------------------------------------------------

def _london_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON)


def _conditions(session: Session, school_id: int, f: ConcernFilters,
                own: int | None) -> list:
    """The WHERE clauses of a list; ``own`` is the user whose own concerns these are."""
    on_concern = and_(ConcernPupil.concern_id == Concern.id,
                      ConcernPupil.school_id == Concern.school_id)
    conds = [Concern.school_id == school_id]
    if own is not None:
        conds.append(Concern.recorded_by_id == own)
    if f.status:
        conds.append(status_column().in_(f.status))
    if f.category_id is not None:
        conds.append(_in_category(f.category_id, own is None))
    if f.occurred_from:
        conds.append(Concern.occurred_at >= _london_midnight(f.occurred_from))
    if f.occurred_to:
        conds.append(Concern.occurred_at < _london_midnight(f.occurred_to + dt.timedelta(1)))
    if f.risk:
        conds.append(risk_column() == f.risk)
    if f.recorded_by is not None:
        conds.append(Concern.recorded_by_id == f.recorded_by)
    if f.pupil_id is not None:
        conds.append(exists().where(on_concern, ConcernPupil.pupil_id == f.pupil_id))
    if f.year_group is not None:
        conds.append(exists().where(on_concern, Pupil.id == ConcernPupil.pupil_id,
                                    Pupil.school_id == ConcernPupil.school_id,
                                    Pupil.year_group == f.year_group))
    if f.flag:
        today = london_today()
        conds.append(exists().where(on_concern, PupilFlag.pupil_id == ConcernPupil.pupil_id,
                                    PupilFlag.school_id == ConcernPupil.school_id,
                                    PupilFlag.flag == f.flag, PupilFlag.start_date <= today,
                                    or_(PupilFlag.end_date.is_(None),
                                        PupilFlag.end_date >= today)))
    conds.extend(_search(session, school_id, f.q, entries=own is None))
    return conds


def _in_category(category_id: int, with_entries: bool):
    """Recorded in the category, or (for the DSL team) put in it by a DSL entry since."""
    linked = exists().where(ConcernCategoryLink.concern_id == Concern.id,
                            ConcernCategoryLink.school_id == Concern.school_id,
                            ConcernCategoryLink.category_id == category_id)
    if not with_entries:
        return linked
    return or_(linked, exists().where(ConcernEntry.concern_id == Concern.id,
                                      ConcernEntry.school_id == Concern.school_id,
                                      ConcernEntry.category_id == category_id))


def _search(session: Session, school_id: int, q: str, *, entries: bool) -> list:
    """One clause per word or phrase: the concern's own text, or one of its entries, has it."""
    terms = terms_of(q)
    if not terms:
        return []
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        terms = _without_stop_words(session, terms)
    match = _pg_matches if postgres else _fts_matches
    return [Concern.id.in_(match(school_id, text, phrase, entries)) for text, phrase in terms]


def _pg_query(text: str, phrase: bool):
    make = func.phraseto_tsquery if phrase else func.plainto_tsquery
    return make(literal_column(f"'{PG_CONFIG}'::regconfig"), text)


def _without_stop_words(session: Session, terms: list) -> list:
    """PostgreSQL drops stop words ("the", "was"): a term of nothing else would match
    nothing, so it is left out, as it would add nothing on SQLite either."""
    sizes = session.execute(select(*[func.numnode(_pg_query(t, p)) for t, p in terms])).one()
    return [term for term, size in zip(terms, sizes) if size]


def _pg_matches(school_id: int, text: str, phrase: bool, entries: bool):
    query = _pg_query(text, phrase)
    doc = literal_column(pg_document("concerns", "concerns."))
    own = select(Concern.id).where(Concern.school_id == school_id, doc.op("@@")(query))
    if not entries:
        return own
    body = literal_column(pg_document("concern_entries", "concern_entries."))
    return union(own, select(ConcernEntry.concern_id).where(
        ConcernEntry.school_id == school_id, body.op("@@")(query)))


def _fts_phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def _fts_matches(school_id: int, text: str, phrase: bool, entries: bool):
    own_fts = table(FTS_TABLES["concerns"], column("rowid"))
    match = bindparam("fts", _fts_phrase(text), unique=True)
    own = select(own_fts.c.rowid).where(
        literal_column(FTS_TABLES["concerns"]).op("MATCH")(match))
    if not entries:
        return own
    entry_fts = table(FTS_TABLES["concern_entries"], column("rowid"))
    in_entries = select(entry_fts.c.rowid).where(
        literal_column(FTS_TABLES["concern_entries"]).op("MATCH")(
            bindparam("fts", _fts_phrase(text), unique=True)))
    return union(own, select(ConcernEntry.concern_id).where(
        ConcernEntry.school_id == school_id, ConcernEntry.id.in_(in_entries)))


# --- rows, pages and positions --------------------------------------------------------------

@dataclass
class ConcernRow:
    id: int
    recorded_at: dt.datetime
    occurred_at: dt.datetime
    pupils: list[str]
    status: str | None  # None in one's own list
    source: str
    risk: str | None = None
    categories: list[str] = field(default_factory=list)
    recorded_by_id: int | None = None


@dataclass
class ConcernPage:
    """One page of a list, newest first. ``next`` and ``previous`` are the positions to ask
    for the older and the newer page (None at either end); ``total`` counts every match."""

    rows: list[ConcernRow]
    total: int
    per_page: int
    next: str | None
    previous: str | None


def encode_position(row: ConcernRow) -> str:
    raw = f"{row.recorded_at.astimezone(dt.timezone.utc).isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_position(token: str, name: str) -> tuple[dt.datetime, int]:
    """A position this list gave (``after`` or ``before``), or a refusal naming ``name``."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        at, row_id = raw.rsplit("|", 1)
        moment = dt.datetime.fromisoformat(at)
        if moment.tzinfo is None:
            raise ValueError("no timezone")
        return moment, int(row_id)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationError({name: ["is not a position this list gave: follow the "
                                      "next and previous links"]}) from None


def _older_than(at: dt.datetime, row_id: int):
    return or_(Concern.recorded_at < at, and_(Concern.recorded_at == at, Concern.id < row_id))


def _newer_than(at: dt.datetime, row_id: int):
    return or_(Concern.recorded_at > at, and_(Concern.recorded_at == at, Concern.id > row_id))


def _access(actor: Actor, school_id: int, mine: bool) -> int | None:
    """Who may list: the DSL team the whole school, anyone who records their own."""
    if mine:
        require(actor, "concern.record", school_id)
        return actor.user_id
    require(actor, "casefile.read", school_id)
    return None


def select_rows(session: Session, school_id: int, conds: list, *, newest_first: bool = True,
                limit: int | None = None, own: bool = False) -> list[ConcernRow]:
    """The concerns matching ``conds`` in list order (recorded_at, then id, so equal times
    still have one order), with their pupils' names and categories as recorded. In one's
    ``own`` list the team's status and risk are left out (None): they are the team's."""
    order = ((Concern.recorded_at.desc(), Concern.id.desc()) if newest_first
             else (Concern.recorded_at, Concern.id))
    stmt = (select(Concern.id, Concern.recorded_at, Concern.occurred_at, Concern.source,
                   Concern.recorded_by_id, status_column().label("status"),
                   risk_column().label("risk"))
            .where(*conds).order_by(*order))
    if limit is not None:
        stmt = stmt.limit(limit)
    found = session.execute(stmt).all()
    rows = [ConcernRow(r.id, r.recorded_at, r.occurred_at, [], None if own else r.status,
                       r.source, None if own else r.risk, [], r.recorded_by_id) for r in found]
    _add_names(session, school_id, rows)
    return rows


def _add_names(session: Session, school_id: int, rows: list[ConcernRow]) -> None:
    by_id = {r.id: r for r in rows}
    ids = list(by_id)
    for start in range(0, len(ids), 500):  # keep under SQLite's limit of bound values
        chunk = ids[start:start + 500]
        for cid, first, pref, last in session.execute(
                select(ConcernPupil.concern_id, Pupil.first_name, Pupil.preferred_name,
                       Pupil.last_name)
                .join(Pupil, and_(Pupil.id == ConcernPupil.pupil_id,
                                  Pupil.school_id == ConcernPupil.school_id))
                .where(ConcernPupil.school_id == school_id, ConcernPupil.concern_id.in_(chunk))):
            by_id[cid].pupils.append(f"{pref or first} {last}")
        for cid, label in session.execute(
                select(ConcernCategoryLink.concern_id, ConcernCategory.label)
                .join(ConcernCategory, ConcernCategory.id == ConcernCategoryLink.category_id)
                .where(ConcernCategoryLink.school_id == school_id,
                       ConcernCategoryLink.concern_id.in_(chunk))
                .order_by(ConcernCategory.position)):
            by_id[cid].categories.append(label)
    for r in rows:
        r.pupils.sort()


def find_concerns(session: Session, actor: Actor, school_id: int,
                  filters: ConcernFilters = ConcernFilters(), *, mine: bool = False,
                  after: str | None = None, before: str | None = None,
                  per_page: int = PER_PAGE) -> ConcernPage:
    """One page of the school's concerns for the DSL team (``mine``: the caller's own, for
    anyone who records), newest first, searched and filtered. ``after`` asks for the page
    older than a position, ``before`` for the page newer than one (the links of the page
    before). A search is audited with its words, filters and how many it found."""
    own = _access(actor, school_id, mine)
    errors = {}
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = [f"from 1 to {MAX_PER_PAGE}"]
    if after and before:
        errors["before"] = ["give after or before, not both"]
    if errors:
        raise ValidationError(errors)
    check_filters(session, school_id, filters, mine=mine)
    conds = _conditions(session, school_id, filters, own)
    if before:
        rows = select_rows(session, school_id,
                           [*conds, _newer_than(*decode_position(before, "before"))],
                           newest_first=False, limit=per_page, own=mine)[::-1]
    else:
        edge = [_older_than(*decode_position(after, "after"))] if after else []
        rows = select_rows(session, school_id, [*conds, *edge], limit=per_page, own=mine)
    total = session.scalar(select(func.count()).select_from(Concern).where(*conds))
    older = newer = False
    if rows:
        last, first = rows[-1], rows[0]
        older = session.scalar(select(exists().where(
            *conds, _older_than(last.recorded_at, last.id))))
        newer = session.scalar(select(exists().where(
            *conds, _newer_than(first.recorded_at, first.id))))
    if filters.q:
        audit.record(session, "concern.searched", actor=actor, object_type="school",
                     object_id=school_id, school_id=school_id,
                     detail={"filters": filters.given(), "mine": mine, "count": total})
    return ConcernPage(rows, total, per_page,
                       encode_position(rows[-1]) if older else None,
                       encode_position(rows[0]) if newer else None)


def list_rows(session: Session, actor: Actor, school_id: int, filters: ConcernFilters, *,
              mine: bool, recorded_before: dt.datetime | None, limit: int) -> list[ConcernRow]:
    """The first ``limit`` rows of a list (what :func:`core.concerns.list_concerns` answers
    for the dashboard and the "my concerns" page)."""
    own = _access(actor, school_id, mine)
    check_filters(session, school_id, filters, mine=mine)
    conds = _conditions(session, school_id, filters, own)
    if recorded_before is not None:
        conds.append(Concern.recorded_at < recorded_before)
    return select_rows(session, school_id, conds, limit=limit, own=mine)


# --- the export -----------------------------------------------------------------------------

EXPORT_COLUMNS = ("Reference", "Happened", "Recorded", "Pupils", "Categories", "Status",
                  "Risk", "Recorded by", "Source")
STATUS_LABELS = {"awaiting_triage": "Awaiting triage", "open": "Open", "closed": "Closed"}


@dataclass
class ConcernExport:
    filename: str
    text: str
    count: int


def _cell(value: object) -> str:
    """Text a spreadsheet shows as text: a leading = + - @ would make a formula of it."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _source(name: str) -> str:
    if name == "staff":
        return "Staff"
    try:
        return current_host().info(name).label
    except Exception:  # a plugin uninstalled since
        return name


def export_concerns(session: Session, actor: Actor, school_id: int,
                    filters: ConcernFilters = ConcernFilters(), *,
                    mine: bool = False) -> ConcernExport:
    """Every concern of a filtered list as CSV (no page limit), for the DSL team only: the
    list's columns, not what was written. With ``mine``, only the caller's own concerns.
    Audited with the filters and the number of rows."""
    require(actor, "casefile.read", school_id)
    check_filters(session, school_id, filters, mine=False)
    conds = _conditions(session, school_id, filters, None)
    if mine:
        conds.append(Concern.recorded_by_id == actor.user_id)
    rows = select_rows(session, school_id, conds)
    names = dict(session.execute(select(User.id, User.name).where(
        User.id.in_({r.recorded_by_id for r in rows if r.recorded_by_id is not None}))).all())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for r in rows:
        writer.writerow([_cell(v) for v in (
            f"C{r.id}", uk_datetime(r.occurred_at), uk_datetime(r.recorded_at),
            "; ".join(r.pupils), "; ".join(r.categories), STATUS_LABELS[r.status],
            (r.risk or "").title(), names.get(r.recorded_by_id, ""), _source(r.source))])
    audit.record(session, "concern.exported", actor=actor, object_type="school",
                 object_id=school_id, school_id=school_id,
                 detail={"filters": filters.given(), "mine": mine, "count": len(rows)})
    return ConcernExport(f"concerns-{london_today().isoformat()}.csv", out.getvalue(),
                         len(rows))
