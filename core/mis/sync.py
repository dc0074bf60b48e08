"""Compare checked rows with a school's roll (:func:`plan`) and store the difference whole
(:func:`apply`).

Each row finds its pupil by UPN (or a former UPN that is a pupil's UPN), then by the MIS's own
id; a row with neither but the name and date of birth of a pupil on the roll goes to the
review queue (a person decides; nothing is guessed); any other row is a new pupil. A full
file also lists the pupils on roll that no row found: "left?" for the school admin to
confirm. Importing the same file twice stores nothing the second time.
"""
from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from core import audit
from core.calendar import london_today, uk_date
from core.mis.rows import MIS_FLAGS, Problem, PupilRow, name_key
from core.models import (MisLeaverCheck, MisReviewItem, Pupil, PupilCarer, PupilFlag,
                         PupilMisRecord)
from core.pupils import EDITABLE, update_pupil

CARER_COMPARED = ("priority", "title", "first_name", "last_name", "relationship",
                  "parental_responsibility", "phone", "email", "address")
REPORT_LIMIT = 500  # rows listed per section of a report; the counts are always whole
ANALYZE_AFTER = 200  # pupils added at once from which the planner's statistics are refreshed


@dataclass
class Change:
    pupil_id: int
    name: str
    row: PupilRow
    fields: dict[str, tuple]  # field -> (old, new)
    flags_on: list[str] = field(default_factory=list)
    flags_off: list[str] = field(default_factory=list)
    carers_added: list[dict] = field(default_factory=list)
    carers_ended: list[int] = field(default_factory=list)
    record: dict | None = None  # new mis_id / former_upn

    @property
    def empty(self) -> bool:
        return not (self.fields or self.flags_on or self.flags_off or self.carers_added
                    or self.carers_ended or self.record)


@dataclass
class Plan:
    adds: list[PupilRow] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    review: list[tuple[PupilRow, int | None, str]] = field(default_factory=list)
    leavers: list[tuple[int, str]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unchanged: int = 0
    new_review: list[tuple[PupilRow, int | None, str]] = field(default_factory=list)
    new_leavers: list[int] = field(default_factory=list)

    def counts(self) -> dict:
        return {"adds": len(self.adds), "changes": len(self.changes),
                "unchanged": self.unchanged, "review": len(self.review),
                "leavers": len(self.leavers), "problems": len(self.problems)}


@dataclass
class Roll:
    """What the school holds, read once per import (columns, not ORM objects)."""

    pupils: dict[int, dict]
    by_upn: dict[str, int]
    by_mis: dict[str, int]
    by_name: dict[tuple, list[int]]
    records: dict[int, dict]
    flags: dict[int, set[str]]
    carers: dict[int, dict[tuple, int]]
    open_review: set[str]
    settled: dict[str, tuple[str, int | None]]  # row key -> (decision, pupil) of the queue
    open_leavers: set[int]


def _carer_key(c: dict) -> tuple:
    return tuple(c.get(k) if k != "address" else (c.get(k) or None) for k in CARER_COMPARED)


def read_roll(session: Session, school_id: int) -> Roll:
    cols = [Pupil.id, *(getattr(Pupil, f) for f in EDITABLE), Pupil.on_roll_to]
    pupils = {r.id: r._asdict() for r in session.execute(
        select(*cols).where(Pupil.school_id == school_id))}
    by_upn = {p["upn"]: i for i, p in pupils.items() if p["upn"]}
    by_name: dict[tuple, list[int]] = {}
    for i, p in pupils.items():
        by_name.setdefault((name_key(p["first_name"], p["last_name"]), p["date_of_birth"]),
                           []).append(i)
    records = {r.pupil_id: {"mis_id": r.mis_id, "former_upn": r.former_upn}
               for r in session.execute(select(PupilMisRecord.pupil_id, PupilMisRecord.mis_id,
                                               PupilMisRecord.former_upn)
                                        .where(PupilMisRecord.school_id == school_id))}
    flags: dict[int, set[str]] = {}
    for pid, flag in session.execute(select(PupilFlag.pupil_id, PupilFlag.flag).where(
            PupilFlag.school_id == school_id, PupilFlag.end_date.is_(None),
            PupilFlag.flag.in_(MIS_FLAGS))):
        flags.setdefault(pid, set()).add(flag)
    carers: dict[int, dict[tuple, int]] = {}
    for c in session.scalars(select(PupilCarer).where(PupilCarer.school_id == school_id,
                                                      PupilCarer.end_date.is_(None))):
        carers.setdefault(c.pupil_id, {})[_carer_key(
            {k: getattr(c, k) for k in CARER_COMPARED})] = c.id
    review = session.execute(select(MisReviewItem.row_key, MisReviewItem.status,
                                    MisReviewItem.pupil_id).where(
        MisReviewItem.school_id == school_id)).all()
    open_leavers = set(session.scalars(select(MisLeaverCheck.pupil_id).where(
        MisLeaverCheck.school_id == school_id, MisLeaverCheck.status == "open")))
    return Roll(pupils, by_upn, {r["mis_id"]: i for i, r in records.items() if r["mis_id"]},
                by_name, records, flags, carers,
                {k for k, s, _ in review if s == "open"},
                {k: (s, p) for k, s, p in review if s != "open"}, open_leavers)


def _display(p: dict) -> str:
    return f"{p['preferred_name'] or p['first_name']} {p['last_name']}"


def _match(row: PupilRow, roll: Roll) -> tuple[int | None, str]:
    """The pupil a row is (and how it was found), or None."""
    if row.upn and row.upn in roll.by_upn:
        return roll.by_upn[row.upn], "upn"
    if row.former_upn and row.former_upn in roll.by_upn:
        return roll.by_upn[row.former_upn], "former_upn"
    if row.mis_id and row.mis_id in roll.by_mis:
        return roll.by_mis[row.mis_id], "mis_id"
    decision, pid = roll.settled.get(row.key, ("", None))
    if decision in ("linked", "added") and pid in roll.pupils:
        return pid, "a decision in the review queue"
    return None, ""


def _diff(row: PupilRow, pid: int, roll: Roll) -> Change:
    p = roll.pupils[pid]
    wanted = {k: v for k, v in row.details.items() if k in EDITABLE}
    if row.upn:
        wanted["upn"] = row.upn
    fields = {k: (p[k], v) for k, v in wanted.items() if p[k] != v}
    change = Change(pid, _display(p), row, fields)
    current = roll.flags.get(pid, set())
    change.flags_on = sorted(f for f, on in row.flags.items() if on and f not in current)
    change.flags_off = sorted(f for f, on in row.flags.items() if not on and f in current)
    if row.carers is not None:
        have = roll.carers.get(pid, {})
        want = {_carer_key(c): c for c in row.carers}
        change.carers_added = [c for k, c in want.items() if k not in have]
        change.carers_ended = [cid for k, cid in have.items() if k not in want]
    record = roll.records.get(pid, {"mis_id": None, "former_upn": None})
    new = {"mis_id": row.mis_id or record["mis_id"],
           "former_upn": row.former_upn or record["former_upn"]}
    if new != record:
        change.record = new
    return change


def _place(row: PupilRow, seen: dict, key: str, value, problems: list, what: str) -> bool:
    if value is None:
        return True
    if value in seen:
        problems.append(Problem(row.where, key, f"{what} is also on {seen[value]}"))
        return False
    seen[value] = row.where
    return True


def plan(rows: list[PupilRow], roll: Roll, full: bool) -> Plan:
    """What importing ``rows`` would do to the roll; stores nothing."""
    out = Plan()
    seen: dict[str, dict] = {"upn": {}, "mis_id": {}, "pupil": {}}
    found: set[int] = set()
    for row in rows:
        if not (_place(row, seen["upn"], "upn", row.upn, out.problems, f"UPN {row.upn}")
                and _place(row, seen["mis_id"], "mis_id", row.mis_id, out.problems,
                           f"MIS id {row.mis_id}")):
            continue
        pid, how = _match(row, roll)
        if pid is not None:
            if not _place(row, seen["pupil"], how, pid, out.problems,
                          "the same pupil (found by " + how.replace("_", " ") + ")"):
                continue
            found.add(pid)
            p = roll.pupils[pid]
            if p["on_roll_to"] is not None:
                _review(out, row, pid, roll, f"{_display(p)} left on "
                        f"{uk_date(p['on_roll_to'])}, but the MIS still lists them")
                continue
            change = _diff(row, pid, roll)
            if change.empty:
                out.unchanged += 1
            else:
                out.changes.append(change)
            continue
        d = row.details
        candidates = [i for i in roll.by_name.get(
            (name_key(d["first_name"], d["last_name"]), d["date_of_birth"]), [])
            if roll.pupils[i]["on_roll_to"] is None]
        if roll.settled.get(row.key, ("",))[0] == "ignored":
            out.unchanged += 1  # a person said this row is to be left out
            continue
        if candidates:
            found.update(candidates)
            _review(out, row, candidates[0], roll, "same name and date of birth as "
                    f"{_display(roll.pupils[candidates[0]])}, but no UPN or MIS id in common")
            continue
        out.adds.append(row)
    if full:
        out.leavers = sorted(((i, _display(p)) for i, p in roll.pupils.items()
                              if p["on_roll_to"] is None and i not in found),
                             key=lambda x: x[1])
        out.new_leavers = [i for i, _ in out.leavers if i not in roll.open_leavers]
    return out


def _review(out: Plan, row: PupilRow, pid: int | None, roll: Roll, reason: str) -> None:
    out.review.append((row, pid, reason))
    if row.key not in roll.open_review and row.key not in roll.settled:
        out.new_review.append((row, pid, reason))


# --- storing -------------------------------------------------------------------------------

def row_json(row: PupilRow) -> dict:
    d = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in row.details.items()}
    return {"where": row.where, "details": d, "upn": row.upn, "former_upn": row.former_upn,
            "mis_id": row.mis_id, "flags": row.flags, "carers": row.carers}


def row_from_json(data: dict) -> PupilRow:
    d = dict(data["details"])
    d["date_of_birth"] = dt.date.fromisoformat(d["date_of_birth"])
    return PupilRow(data["where"], d, data["upn"], data["former_upn"], data["mis_id"],
                    data["flags"], data["carers"])


def pupil_values(school_id: int, trust_id: int, rows: list[PupilRow],
                 today: dt.date) -> list[dict]:
    """The ``pupils`` rows that put ``rows`` on the roll (ids not yet given)."""
    from core.names import pupil_search_key

    values = []
    for r in rows:
        d = r.details
        values.append({"school_id": school_id, "trust_id": trust_id, "upn": r.upn,
                       "first_name": d["first_name"], "last_name": d["last_name"],
                       "preferred_name": d.get("preferred_name"),
                       "date_of_birth": d["date_of_birth"], "gender": d.get("gender") or "U",
                       "year_group": d["year_group"], "address": d.get("address"),
                       "on_roll_from": today,
                       "search_key": pupil_search_key(d["first_name"], d.get("preferred_name"),
                                                      d["last_name"])})
    return values


def detail_values(school_id: int, trust_id: int, rows: list[PupilRow], ids: list[int],
                  today: dt.date) -> dict:
    """Each new pupil's MIS record, flags and carers: model -> rows (the benchmark's COPY
    baseline stores exactly these)."""
    base = {"school_id": school_id, "trust_id": trust_id}
    records = [{**base, "pupil_id": pid, "mis_id": r.mis_id, "former_upn": r.former_upn}
               for pid, r in zip(ids, rows) if r.mis_id or r.former_upn]
    flags = [{**base, "pupil_id": pid, "flag": f, "start_date": today, "note": "from the MIS"}
             for pid, r in zip(ids, rows) for f, on in r.flags.items() if on]
    carers = [{**base, "pupil_id": pid, "start_date": today, **c}
              for pid, r in zip(ids, rows) for c in (r.carers or [])]
    return {PupilMisRecord: records, PupilFlag: flags, PupilCarer: carers}


def add_rows(session: Session, school_id: int, trust_id: int, rows: list[PupilRow],
             today: dt.date) -> list[int]:
    """Put new pupils on the roll in bulk (one statement per table, ids in row order)."""
    if not rows:
        return []
    values = pupil_values(school_id, trust_id, rows, today)
    ids = _new_ids(session, len(values))
    if ids is None:
        ids = list(session.scalars(insert(Pupil).returning(Pupil.id,
                                                           sort_by_parameter_order=True), values))
    else:
        insert_rows(session, Pupil, [{"id": i, **v} for i, v in zip(ids, values)])
        if needs_analyze(planned_pupils(session), len(ids)):
            # each carer, flag and MIS record checks its pupil (a composite foreign key);
            # planned on statistics that still say the roll is empty, every check scans the
            # table (measured: 2,000 carers 0.9 s, 0.1 s once analysed). ANALYZE counts this
            # transaction's own rows; a login role that does not own the table gets only a
            # warning, and autovacuum's own ANALYZE catches up within minutes
            session.execute(text("ANALYZE pupils"))
    for model, batch in detail_values(school_id, trust_id, rows, ids, today).items():
        insert_rows(session, model, batch)
    return ids


def planned_pupils(session: Session) -> float:
    """How many rows the planner's statistics say ``pupils`` holds (-1: never analysed)."""
    return session.scalar(text("SELECT reltuples FROM pg_class WHERE oid = 'pupils'::regclass"))


def needs_analyze(planned: float, adding: int) -> bool:
    """Whether adding ``adding`` pupils calls for fresh statistics first: only when the
    statistics say the table holds fewer rows than are being added (an empty or small roll,
    where the planner would scan it for each foreign-key check). Once they count thousands,
    a few more change no plan, and ANALYZE on a large table cost 0.15 s an import."""
    return adding >= ANALYZE_AFTER and planned < adding


def _json_value(value):
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        raise ValueError("naive datetime stored: give it a timezone")  # as UTCDateTime does
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not stored by a bulk insert")


def with_defaults(model, rows: list[dict]) -> tuple[list[str], list[dict]]:
    """The column names and rows to write, with the Python-side defaults a plain INSERT (or
    COPY) would not fill, keyed by column name."""
    table = model.__table__
    keys = list(rows[0])
    for c in table.columns:
        if c.key not in keys and c.default is not None and c.key != "id":
            value = c.default.arg if c.default.is_scalar else c.default.arg(None)
            rows = [{**r, c.key: value} for r in rows]
            keys.append(c.key)
    names = [table.c[k].name for k in keys]
    if names != keys:
        rows = [{n: r[k] for n, k in zip(names, keys)} for r in rows]
    return names, rows


def insert_rows(session: Session, model, rows: list[dict]) -> None:
    """Insert many rows at once. On PostgreSQL one ``INSERT ... SELECT FROM
    json_populate_recordset(...)``: one round trip and one JSON text parameter, typed by the
    table's own row type (row-level security still applies, which COPY would not allow; the
    JSON is written by the C encoder, where arrays of Python values cost about a tenth of a
    second per 1,000 pupils to adapt); on SQLite an ``executemany``. Every row gives the
    same keys; the other columns take their defaults."""
    if not rows:
        return
    table = model.__table__
    if session.get_bind().dialect.name != "postgresql":
        session.execute(table.insert(), rows)
        return
    names, rows = with_defaults(model, rows)
    columns = ", ".join(f'"{n}"' for n in names)
    session.execute(text(f'INSERT INTO "{table.name}" ({columns}) SELECT {columns} '
                         f'FROM json_populate_recordset(NULL::"{table.name}", '
                         f"CAST(:rows AS json))"),
                    {"rows": json.dumps(rows, default=_json_value, separators=(",", ":"))})


def _new_ids(session: Session, n: int) -> list[int] | None:
    """``n`` pupil ids taken from the sequence (PostgreSQL), or None elsewhere."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return list(session.scalars(text(
        "SELECT nextval(pg_get_serial_sequence('pupils', 'id')) FROM generate_series(1, :n)"),
        {"n": n}))


def apply_change(session: Session, actor, school_id: int, trust_id: int, change: Change,
                 today: dt.date) -> None:
    """Store one pupil's changes: details through :func:`core.pupils.update_pupil` (so each
    is kept in the pupil's history), flags, carers and the MIS record."""
    if change.fields:
        update_pupil(session, actor, school_id, change.pupil_id,
                     **{k: new for k, (old, new) in change.fields.items()})
    base = {"school_id": school_id, "trust_id": trust_id, "pupil_id": change.pupil_id}
    for flag in change.flags_on:
        session.add(PupilFlag(**base, flag=flag, start_date=today, note="from the MIS"))
    if change.flags_off:
        for row in session.scalars(select(PupilFlag).where(
                PupilFlag.pupil_id == change.pupil_id, PupilFlag.flag.in_(change.flags_off),
                PupilFlag.end_date.is_(None))):
            row.end_date = max(today, row.start_date)
    for c in change.carers_added:
        session.add(PupilCarer(**base, start_date=today, **c))
    if change.carers_ended:
        for row in session.scalars(select(PupilCarer).where(
                PupilCarer.id.in_(change.carers_ended))):
            row.end_date = max(today, row.start_date)
    if change.record is not None:
        record = session.scalar(select(PupilMisRecord).where(
            PupilMisRecord.pupil_id == change.pupil_id))
        if record is None:
            session.add(PupilMisRecord(**base, **change.record))
        else:
            record.mis_id, record.former_upn = change.record["mis_id"], change.record["former_upn"]
    if change.flags_on or change.flags_off or change.carers_added or change.carers_ended:
        audit.record(session, "pupil.mis_updated", actor=actor, object_type="pupil",
                     object_id=change.pupil_id, school_id=school_id,
                     detail={"flags_on": change.flags_on, "flags_off": change.flags_off,
                             "carers_added": len(change.carers_added),
                             "carers_ended": len(change.carers_ended)})


def apply(session: Session, actor, school_id: int, trust_id: int, the_plan: Plan,
          import_id: int) -> dict:
    """Store a plan in the caller's transaction (all of it or, on any error, none: the
    caller rolls back). Returns what was stored."""
    from core.plugins import current_host

    today = london_today()
    ids = add_rows(session, school_id, trust_id, the_plan.adds, today)
    for change in the_plan.changes:
        apply_change(session, actor, school_id, trust_id, change, today)
    for row, pid, reason in the_plan.new_review:
        session.add(MisReviewItem(school_id=school_id, trust_id=trust_id, import_id=import_id,
                                  pupil_id=pid, row_key=row.key[:300], reason=reason[:300],
                                  row=row_json(row)))
    for pid in the_plan.new_leavers:
        session.add(MisLeaverCheck(school_id=school_id, trust_id=trust_id, pupil_id=pid,
                                   import_id=import_id))
    session.flush()
    stored = {"added": len(ids), "changed": len(the_plan.changes),
              "review_added": len(the_plan.new_review),
              "leavers_listed": len(the_plan.new_leavers)}
    if ids or the_plan.changes:
        # carers and addresses just stored may show pupils who are family (for a DSL to
        # decide; core.family_suggestions links nothing). It compares the school with the
        # whole trust, so it is a job of its own once this commits, not part of the import;
        # one per school however many imports come in before it runs
        from core.family_suggestions import run_for_school
        from core.jobs import enqueue

        stored["family_suggestions_job"] = enqueue(
            run_for_school, school_id, school_id=school_id, session=session,
            job_id=f"mis_family_suggestions:{school_id}")
    audit.record(session, "pupils.imported", actor=actor, object_type="mis_import",
                 object_id=import_id, school_id=school_id, detail=stored)
    # the school's hook caller is built once (it reads which plugins are on), not per pupil
    event = current_host().school_hook(session, school_id, "mat_pupil_event")
    for pid in ids:
        event(session=session, school_id=school_id, pupil_id=pid, event="created",
              data={"source": "mis"})
    return stored
