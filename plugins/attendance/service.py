"""The attendance rules that pages, the API, the CLI and jobs call. No Flask here."""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.calendar import LONDON, academic_year_bounds, academic_year_start, london_today
from core.contributions import ChronologyItem, Metric, MetricDefinition, TransferSection
from core.db import SYSTEM, current_database, get_in_school, utcnow
from core.errors import NotFound, ValidationError
from core.jobs import current_job
from core.models import School
from core.policy import Actor, require

from plugins.attendance import signals
from plugins.attendance.definition import NAME
from plugins.attendance.ctf import read_ctf
from plugins.attendance.importer import Checker, ImportOutcome, import_long_csv, import_marks
from plugins.attendance.measures import GroupMeasures, group_measures, pupil_counts
from plugins.attendance.models import ImportBatch, Signal
from plugins.attendance.weeks import Mark, marks_between
from plugins.attendance.parsing import ErrorLog, Layout, RawMark, read_wide_csv

MAX_JSON_MARKS = 50_000


def year_to_date(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """This academic year from 1 September up to today."""
    today = today or london_today()
    return academic_year_bounds(academic_year_start(today))[0], today


def errors_as_fields(batch_errors: list[dict]) -> dict[str, list[str]]:
    """A batch's problems as ValidationError fields: "line 12: Mark" -> [problem]."""
    out: dict[str, list[str]] = {}
    for e in batch_errors:
        key = e["field"] if e["field"].startswith("marks[") else f"line {e['line']}: {e['field']}"
        out.setdefault(key, []).append(e["problem"])
    return out


# --- imports ----------------------------------------------------------------------------------

def create_batch(session: Session, actor: Actor | None, school_id: int, source: str,
                 path: str, filename: str, layout: dict | None = None) -> ImportBatch:
    """Record a file waiting to be imported (run it with :func:`run_batch`)."""
    if actor is not None:
        require(actor, "pupil.manage", school_id)
    if source not in ("csv", "ctf"):
        raise ValidationError({"source": ["must be csv or ctf"]})
    lay = Layout.from_dict(layout) if source == "csv" else Layout()
    batch = ImportBatch(school_id=school_id, source=source, layout=lay.as_dict(),
                        filename=filename[:255], stored_path=path,
                        created_by_id=actor.user_id if actor else None)
    session.add(batch)
    session.flush()
    audit.record(session, "attendance.import_started", actor=actor, object_type="import",
                 object_id=batch.id, school_id=school_id, detail={"filename": filename})
    return batch


def _finish(session: Session, batch: ImportBatch, outcome: ImportOutcome) -> None:
    batch.rows_read = outcome.rows_read
    batch.error_count = outcome.errors.count
    batch.errors = outcome.errors.items
    batch.marks_imported = outcome.imported
    batch.first_date, batch.last_date = outcome.first_date, outcome.last_date
    batch.status = "done" if outcome.ok else "failed"
    batch.finished_at = utcnow()
    session.flush()
    audit.record(session, "attendance.imported" if outcome.ok else "attendance.import_refused",
                 object_type="import", object_id=batch.id, school_id=batch.school_id,
                 user_id=batch.created_by_id,
                 detail={"marks": outcome.imported, "errors": outcome.errors.count})


def _queue_analysis(session: Session, batch_id: int, school_id: int,
                    last_date: dt.date) -> None:
    """Record the signal analysis of an import in the import's own transaction (the job
    outbox): it runs once the marks have committed, and never if they roll back. It is its own
    job (stable id per import, so a retried import does not queue it twice) rather than part
    of the import: the marks are visible as soon as they commit, and the analysis's trust-wide
    reads do not hold the import's locks."""
    from core.jobs import enqueue_after_commit

    from plugins.attendance.jobs import analyse_school

    enqueue_after_commit(session, analyse_school, school_id, last_date.isoformat(),
                         school_id=school_id, plugin=NAME,
                         job_id=f"attendance:analyse:{school_id}:batch:{batch_id}")


def run_batch(batch_id: int, progress: Callable[[int, int], None] | None = None,
              delete_after: bool = False) -> dict:
    """Import a recorded file in one transaction: all its marks or none. The batch row is
    marked running first (in its own transaction, so pages polling it see it)."""
    db = current_database()
    with db.transaction(SYSTEM) as s:
        batch = s.get(ImportBatch, batch_id)
        if batch is None:
            raise NotFound("import")
        if batch.status == "done":
            return {"status": batch.status}  # a job run again after finishing: nothing to redo
        if batch.status == "failed":  # an administrator's retry of an import that stopped
            if not os.path.exists(batch.stored_path):
                raise FileNotFoundError(
                    "the file of this import was removed when it failed; import it again")
            batch.errors, batch.error_count, batch.finished_at = [], 0, None
        batch.status = "running"
        path, source, layout = batch.stored_path, batch.source, Layout(**batch.layout)
        school_id, trust_id = batch.school_id, batch.trust_id
    try:
        result = _import_file(db, batch_id, path, source, layout, school_id, trust_id, progress)
    except Exception as exc:
        if current_job() is not None:
            # a job tries again after a backoff; its last failure marks the batch failed
            # (jobs.import_failed), so the file is kept for the next attempt
            with db.transaction(SYSTEM) as s:
                s.get(ImportBatch, batch_id).status = "queued"
            raise
        stopped(batch_id, type(exc).__name__, delete_file=delete_after)
        raise
    if delete_after and os.path.exists(path):
        Path(path).unlink()
    if result.get("marks", 0) >= ANALYZE_FROM:
        analyze_after_bulk(db)
    return result


ANALYZE_FROM = 100_000  # marks: an import this large shifts the planner's statistics


def analyze_after_bulk(db) -> None:
    """PostgreSQL plans reads from statistics that autovacuum refreshes only some time after
    a bulk load: gather them now for the tables a large import grew, after its commit (in a
    transaction, ANALYZE would hold a lock that a second school's import waits on). A login
    role that does not own the tables gets a warning and nothing changes: autovacuum still
    catches up."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql("ANALYZE attendance_weeks, attendance_term_counts")


def stopped(batch_id: int, reason: str, *, delete_file: bool) -> None:
    """An import that stopped before it finished: nothing of it was stored (one transaction),
    and its batch says so with the reason, rather than "running" for ever."""
    with current_database().transaction(SYSTEM) as s:
        batch = s.get(ImportBatch, batch_id)
        if batch is None or batch.status not in ("queued", "running"):
            return
        batch.status, batch.finished_at = "failed", utcnow()
        batch.errors = [{"line": 0, "field": "file", "problem": f"the import stopped: {reason}"}]
        batch.error_count = 1
        path = batch.stored_path
    if delete_file and path and os.path.exists(path):
        Path(path).unlink()


def _import_file(db, batch_id: int, path: str, source: str, layout: Layout, school_id: int,
                 trust_id: int, progress) -> dict:
    """Check and import one file in one transaction, then record the outcome on the batch."""
    size = os.path.getsize(path)
    with db.transaction(SYSTEM) as s, open(path, "rb") as f:
        errors = ErrorLog()
        checker = Checker(s, school_id, layout.pupil_key)
        tick = (lambda: progress(f.tell(), size)) if progress else None
        if source == "csv" and layout.format == "long":
            outcome = import_long_csv(s, school_id, trust_id, f, layout, checker, errors,
                                      batch_id=batch_id, progress=tick)
        else:
            marks = (read_ctf(f, errors, checker.calendar.is_school_day) if source == "ctf"
                     else read_wide_csv(f, layout, errors))
            outcome = import_marks(s, school_id, trust_id, marks, checker, errors,
                                   batch_id=batch_id, progress=tick)
        _finish(s, s.get(ImportBatch, batch_id), outcome)
        status = s.get(ImportBatch, batch_id).status
        if outcome.ok and outcome.last_date:
            _queue_analysis(s, batch_id, school_id, outcome.last_date)
    if progress:
        progress(size, size)
    return {"status": status, "marks": outcome.imported, "errors": outcome.errors.count}


def import_json(session: Session, actor: Actor, school_id: int, marks: list[dict]) -> ImportBatch:
    """Import marks sent as JSON (``upn`` or ``pupil_id``, ``date``, ``session``, ``code``):
    all or none; a ValidationError names each bad ``marks[i].field``."""
    require(actor, "pupil.manage", school_id)
    if not isinstance(marks, list) or not marks:
        raise ValidationError({"marks": ["give a non-empty list of marks"]})
    if len(marks) > MAX_JSON_MARKS:
        raise ValidationError({"marks": [f"at most {MAX_JSON_MARKS} marks per request: "
                                         f"upload larger imports as a file"]})
    key = "pupil_id" if all(isinstance(m, dict) and "pupil_id" in m for m in marks) else "upn"
    school = session.get(School, school_id)
    checker = Checker(session, school_id, key)

    def raw():
        for i, m in enumerate(marks):
            m = m if isinstance(m, dict) else {}
            f = f"marks[{i}]."
            yield RawMark(i + 1, str(m.get(key) or ""), str(m.get("date") or ""),
                          str(m.get("session") or ""), str(m.get("code") or ""), f + key,
                          f + "date", f + "session", f + "code")

    batch = ImportBatch(school_id=school_id, source="api", filename="",
                        created_by_id=actor.user_id, status="running")
    session.add(batch)
    session.flush()
    errors = ErrorLog()
    outcome = import_marks(session, school_id, school.trust_id, raw(), checker, errors,
                           batch_id=batch.id)
    for e in errors.items:
        if e["field"] == "row":
            e["field"] = f"marks[{e['line'] - 1}]"
    if not outcome.ok:
        raise ValidationError(errors_as_fields(errors.items))
    _finish(session, batch, outcome)
    if outcome.last_date:
        _queue_analysis(session, batch.id, school_id, outcome.last_date)
    return batch


def import_pupil_marks(session: Session, school_id: int,
                       marks: Iterable[tuple[int, str, str, str]]) -> ImportOutcome:
    """Import marks the system itself made (demo data), given as ``(pupil_id, date, session,
    code)``: all or none, with no batch; what was refused is in ``outcome.errors``."""
    school = session.get(School, school_id)
    raw = (RawMark(i + 1, str(pupil_id), day, sess, code, "pupil", "date", "session", "code")
           for i, (pupil_id, day, sess, code) in enumerate(marks))
    return import_marks(session, school_id, school.trust_id, raw,
                        Checker(session, school_id, "pupil_id"), ErrorLog())


def batch_by_id(session: Session, batch_id: int) -> ImportBatch | None:
    """One import by id, for trust-wide code that has already decided it may look (the CLI)."""
    return session.get(ImportBatch, batch_id)


def get_batch(session: Session, actor: Actor, school_id: int, batch_id: int) -> ImportBatch:
    """One import of the school, for someone who may manage its pupils (404 otherwise)."""
    require(actor, "pupil.manage", school_id)
    return get_in_school(session, ImportBatch, batch_id, school_id, "import")


# --- reading ----------------------------------------------------------------------------------

def pupil_marks(session: Session, actor: Actor, school_id: int, pupil_id: int, start: dt.date,
                end: dt.date) -> list[Mark]:
    """A pupil's marks in a range (at most a year), audited as a case-file read."""
    from core.pupils import get_pupil

    get_pupil(session, actor, school_id, pupil_id, "casefile.read")
    if end < start or (end - start).days > 366:
        raise ValidationError({"end": ["must be on or after start, within a year of it"]})
    rows = marks_between(session, school_id, pupil_id, start, end)
    audit.record(session, "attendance.marks_read", actor=actor, object_type="pupil",
                 object_id=pupil_id, school_id=school_id)
    return rows


def pupil_measures(session: Session, school_id: int, pupil_id: int, start: dt.date,
                   end: dt.date) -> dict:
    c = pupil_counts(session, school_id, start, end, pupil_id=pupil_id).get(pupil_id)
    from plugins.attendance.measures import Counts

    return (c or Counts()).as_dict()


def school_measures(session: Session, school_id: int, start: dt.date,
                    end: dt.date) -> GroupMeasures:
    return group_measures(session, school_id, start, end)


def dashboard_data(session: Session, school_id: int, start: dt.date, end: dt.date) -> dict:
    """Everything the school dashboard shows, read from the summaries: the whole school, each
    year group and vulnerable group, the weekly trend, PA/SA pupils and open signals."""
    from core.models import Pupil

    from plugins.attendance.measures import GROUPS, weekly_trend

    counts = pupil_counts(session, school_id, start, end)
    whole = group_measures(session, school_id, start, end, counts=counts)
    year_groups = sorted(set(session.scalars(select(Pupil.year_group).where(
        Pupil.school_id == school_id).distinct())))
    years = {yg: group_measures(session, school_id, start, end, year_group=yg, counts=counts)
             for yg in year_groups}
    groups = {key: (label, group_measures(session, school_id, start, end, group=key,
                                          counts=counts))
              for key, (label, _) in GROUPS.items()}
    ids = set(whole.persistent)
    pupils = {p.id: p for p in session.scalars(select(Pupil).where(Pupil.id.in_(ids)))} \
        if ids else {}
    pa = sorted(((pupils[i], counts[i]) for i in whole.persistent),
                key=lambda t: (t[1].attendance_pct or 0, t[0].last_name))
    signals_ = open_signals(session, school_id)
    named = {p.id: p.display_name for p in session.scalars(select(Pupil).where(
        Pupil.id.in_({s.pupil_id for s in signals_})))} if signals_ else {}
    return {"whole": whole, "years": years, "groups": groups, "pa": pa,
            "severe": set(whole.severe), "trend": weekly_trend(session, school_id, start, end),
            "signals": signals_, "signal_pupils": named}


def weekly_trend(session: Session, school_id: int, start: dt.date, end: dt.date,
                 pupil_id: int | None = None) -> list:
    """Week by week counts (the school, or one pupil) from the summaries, oldest first."""
    from plugins.attendance.measures import weekly_trend as trend

    return trend(session, school_id, start, end, pupil_id=pupil_id)


def latest_mark_date(session: Session, school_id: int, up_to: dt.date,
                     pupil_id: int | None = None) -> dt.date | None:
    """The last day up to ``up_to`` with a mark at the school (or for one pupil)."""
    from plugins.attendance.weeks import latest_mark_date as latest

    return latest(session, school_id, up_to, pupil_id)


def analyse_school(session: Session, school_id: int, as_of: dt.date) -> list[Signal]:
    """Find the signals in one school's marks up to ``as_of`` (nothing if the plugin is off
    there). Returns only the signals that are new, so running it twice adds nothing."""
    return signals.analyse_school(session, school_id, as_of)


def pupil_left(session: Session, school_id: int, pupil_id: int) -> None:
    """A pupil's roll dates changed: recount their stored weeks so marks after the leaving
    date stop counting (the marks themselves are kept)."""
    from plugins.attendance.store import rebuild_pupil

    rebuild_pupil(session, school_id, pupil_id)


def calendar_changed(session: Session, school_id: int) -> None:
    """The school's terms changed: the spans whose per-pupil totals are kept are cut again
    from the new dates and counted (:mod:`plugins.attendance.terms`)."""
    from plugins.attendance.terms import realign_school

    realign_school(session.connection(), school_id)


def open_signal_count(session: Session, school_id: int) -> int:
    from sqlalchemy import func

    return session.scalar(select(func.count()).select_from(Signal).where(
        Signal.school_id == school_id, Signal.reviewed_at.is_(None)))


def open_signals(session: Session, school_id: int, limit: int = 100) -> list[Signal]:
    return list(session.scalars(select(Signal).where(
        Signal.school_id == school_id, Signal.reviewed_at.is_(None))
        .order_by(Signal.created_at.desc(), Signal.id.desc()).limit(limit)))


def review_signal(session: Session, actor: Actor, school_id: int, signal_id: int) -> Signal:
    """Mark a signal looked at by a DSL (it stays in the chronology)."""
    require(actor, "casefile.write", school_id)
    sig = get_in_school(session, Signal, signal_id, school_id, "signal")
    if sig.reviewed_at is None:
        sig.reviewed_at, sig.reviewed_by_id = utcnow(), actor.user_id
        session.flush()
        audit.record(session, "attendance.signal_reviewed", actor=actor, object_type="signal",
                     object_id=sig.id, school_id=school_id)
    return sig


# --- hook contributions -----------------------------------------------------------------------

def chronology(session: Session, school_id: int, pupil_id: int, start, end) -> list:
    """The pupil's attendance signals as chronology entries between ``start`` and ``end``."""
    stmt = select(Signal).where(Signal.school_id == school_id, Signal.pupil_id == pupil_id)
    if start:
        stmt = stmt.where(Signal.last_date >= start)
    if end:
        stmt = stmt.where(Signal.first_date <= end)
    return [ChronologyItem(NAME, f"{NAME}.{s.kind}",
                           dt.datetime.combine(s.first_date, dt.time(9), LONDON), s.title,
                           s.detail, signals.concern_link(school_id, pupil_id))
            for s in session.scalars(stmt)]


def metric_definitions() -> list[MetricDefinition]:
    """The trust overview's attendance columns, with the national figures where known."""
    from plugins.attendance.national import national_figures

    nat = national_figures()
    return [
        MetricDefinition(NAME, "attendance_pct", "Attendance", "%",
                         nat.get("attendance_pct", (None,))[0], True, base="core.pupils"),
        MetricDefinition(NAME, "pa_pct", "Persistent absence", "%",
                         nat.get("pa_pct", (None,))[0], False, base="core.pupils"),
        MetricDefinition(NAME, "sa_pct", "Severe absence", "%", None, False,
                         base="core.pupils"),
        MetricDefinition(NAME, "open_signals", "Open attendance signals", "", None, False),
    ]


def trust_metrics(session: Session, school_id: int, start: dt.date, end: dt.date) -> list:
    """One school's attendance figures for the trust overview."""
    m = group_measures(session, school_id, start, end)
    n_open = open_signal_count(session, school_id)
    return [Metric(NAME, school_id, "attendance_pct", m.totals.attendance_pct),
            Metric(NAME, school_id, "pa_pct", m.pa_pct),
            Metric(NAME, school_id, "sa_pct", m.sa_pct),
            Metric(NAME, school_id, "open_signals", n_open)]


def open_signal_counts(session: Session, school_ids: list[int]) -> dict[int, int]:
    """Signals nobody has reviewed yet, per school (one grouped query)."""
    from sqlalchemy import func

    return dict(session.execute(select(Signal.school_id, func.count()).where(
        Signal.school_id.in_(school_ids), Signal.reviewed_at.is_(None))
        .group_by(Signal.school_id)).all())


def trust_metrics_many(session: Session, school_ids: list[int], start: dt.date,
                       end: dt.date) -> list:
    """Every school's attendance figures for the trust overview, the same values as
    :func:`trust_metrics` school by school, from three grouped statements."""
    from plugins.attendance.totals import school_totals

    if not school_ids:
        return []
    totals = school_totals(session, school_ids, start, end)
    opened = open_signal_counts(session, school_ids)
    out = []
    for sid in school_ids:
        t = totals.get(sid)
        out += [Metric(NAME, sid, "attendance_pct", t.attendance_pct if t else None),
                Metric(NAME, sid, "pa_pct", t.pa_pct if t else None),
                Metric(NAME, sid, "sa_pct", t.sa_pct if t else None),
                Metric(NAME, sid, "open_signals", opened.get(sid, 0))]
    return out


def transfer_section(session: Session, school_id: int, pupil_id: int,
                     today: dt.date | None = None) -> TransferSection:
    """This and last academic year's attendance and recent signals for the child's file."""
    today = today or london_today()
    this_start, _ = academic_year_bounds(academic_year_start(today))
    last_start, last_end = academic_year_bounds(academic_year_start(today) - 1)
    years = {}
    for label, a, b in (("this_year", this_start, today), ("last_year", last_start, last_end)):
        d = pupil_measures(session, school_id, pupil_id, a, b)
        years[label] = {"from": a.isoformat(), "to": b.isoformat(),
                        "attendance_pct": d["attendance_pct"], "possible": d["possible"],
                        "persistent_absence": d["persistent_absence"],
                        "severe_absence": d["severe_absence"],
                        "unauthorised_sessions": d["unauthorised"]}
    recent = session.scalars(select(Signal).where(
        Signal.school_id == school_id, Signal.pupil_id == pupil_id,
        Signal.last_date >= last_start).order_by(Signal.first_date.desc()).limit(10))
    sigs = [{"date": s.first_date.isoformat(), "kind": s.kind, "title": s.title}
            for s in recent]
    ty = years["this_year"]
    text = (f"Attendance this year {ty['attendance_pct'] if ty['attendance_pct'] is not None else 'n/a'}%"
            f"{' (persistent absence)' if ty['persistent_absence'] else ''}; "
            f"{ty['unauthorised_sessions']} unauthorised sessions; {len(sigs)} recent signals.")
    return TransferSection(NAME, "Attendance", {**years, "signals": sigs}, text)
