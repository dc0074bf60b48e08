"""Importing pupils from the school's MIS: the public rules (no Flask). Pages, API, CLI and jobs
call these.

An import is recorded first (:func:`start_import`: the file kept in the database with the
school, its format and layout), then run by a job (:func:`run_import`): read, checked, compared
with the roll, and its report saved. A preview stores nothing else; a commit (asked for at the
start, or later by :func:`confirm_import`) compares again and stores the whole difference in
one transaction, or nothing when any row is bad.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Callable, Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import audit
from core.db import SYSTEM, current_database, get_in_school, utcnow
from core.errors import ValidationError
from core.mis import csvfile, ctf, sync
from core.mis.rows import Problem, PupilRow, RawRow, check_row
from core.mis.sources import source_named
from core.models import MisImport, MisLayout, School
from core.policy import Actor, require

FORMATS = ("ctf", "csv")
PROBLEM_LIMIT = 1000
Progress = Callable[[int, int], None]


def guess_format(filename: str, content: bytes) -> str:
    """``ctf`` for XML, else ``csv``."""
    if filename.lower().endswith(".xml") or content.lstrip()[:5] in (b"<?xml", b"<CTfi"):
        return "ctf"
    return "csv"


def layout_for(session: Session, school_id: int, name: str | None) -> csvfile.Layout:
    """The school's saved layout ``name``, or the default layout when ``name`` is empty."""
    if not name or name == "default":
        return csvfile.Layout()
    row = session.scalar(select(MisLayout).where(MisLayout.school_id == school_id,
                                                 MisLayout.name == name))
    if row is None:
        raise ValidationError({"layout": [f"this school has no layout called {name!r}"]})
    return csvfile.Layout(dict(row.columns), row.date_format, row.name)


def save_layout(session: Session, actor: Actor | None, school_id: int, name: str,
                columns: dict, date_format: str = csvfile.DEFAULT_DATE_FORMAT) -> MisLayout:
    """Save (or replace) a school's CSV layout: field -> its MIS's column heading."""
    if actor is not None:
        require(actor, "pupil.manage", school_id)
    name = (name or "").strip()
    errors = csvfile.layout_problems(columns, date_format)
    if not name or len(name) > 60 or name == "default":
        errors["name"] = ["give the layout a name (1 to 60 characters, not \"default\")"]
    if errors:
        raise ValidationError(errors)
    row = session.scalar(select(MisLayout).where(MisLayout.school_id == school_id,
                                                 MisLayout.name == name))
    if row is None:
        row = MisLayout(school_id=school_id, name=name, columns=columns,
                        created_by_id=actor.user_id if actor else None)
        session.add(row)
    row.columns, row.date_format = dict(columns), date_format
    session.flush()
    audit.record(session, "mis.layout_saved", actor=actor, object_type="mis_layout",
                 object_id=row.id, school_id=school_id, detail={"name": name})
    return row


def layouts(session: Session, actor: Actor, school_id: int) -> list[MisLayout]:
    require(actor, "pupil.manage", school_id)
    return list(session.scalars(select(MisLayout).where(MisLayout.school_id == school_id)
                                .order_by(MisLayout.name)))


# --- recording and running an import -------------------------------------------------------

def start_import(session: Session, actor: Actor | None, school_id: int, content: bytes,
                 filename: str, fmt: str | None = None, layout: str | None = None,
                 full: bool | None = None, commit: bool = False,
                 user_id: int | None = None, source: str | None = None) -> MisImport:
    """Record a file (or a plugin's MIS ``source``, read when the import runs) to import,
    in the caller's transaction; :func:`queue` or :func:`process` runs it. ``full`` None: a
    CTF says so in its header, a CSV or a source is a full list. ``commit`` False previews."""
    if actor is not None:
        require(actor, "pupil.manage", school_id)
    errors: dict[str, list[str]] = {}
    if source:
        src = source_named(session, school_id, source)
        content, filename, fmt = b"", src.label, src.name
        full = src.full if full is None else full
    fmt = fmt or guess_format(filename, content)
    if fmt not in FORMATS and not source:
        errors["format"] = ["must be ctf or csv"]
    if not content and not source:
        errors["file"] = ["the file is empty"]
    if fmt == "csv":
        try:
            layout_for(session, school_id, layout)
        except ValidationError as exc:
            errors.update(exc.errors)
    elif layout:
        errors["layout"] = ["a layout is for CSV files; a CTF has one layout"]
    if errors:
        raise ValidationError(errors)
    row = MisImport(school_id=school_id, source=fmt, layout=layout or None,
                    filename=(filename or "")[:255], content=content,
                    sha256=hashlib.sha256(content).hexdigest(),
                    full=True if full is None else full, commit_requested=commit,
                    created_by_id=user_id if user_id is not None else (
                        actor.user_id if actor else None))
    row.report = {"full_from_header": full is None and fmt == "ctf"}
    session.add(row)
    session.flush()
    audit.record(session, "mis.import_started", actor=actor, object_type="mis_import",
                 object_id=row.id, school_id=school_id,
                 detail={"format": fmt, "filename": row.filename, "commit": commit})
    return row


def queue(session: Session, imp: MisImport) -> str:
    """The import's job, recorded with it (the outbox)."""
    from core.jobs import enqueue
    from core.mis import jobs

    imp.job_id = enqueue(jobs.run_import, imp.id, session=session, school_id=imp.school_id,
                         user_id=imp.created_by_id, on_failure=jobs.import_failed)
    imp.status = "queued"
    return imp.job_id


class _Counting(io.RawIOBase):
    """A byte stream that reports how far it has been read."""

    def __init__(self, data: bytes, progress: Progress | None):
        self._buf, self._progress, self._total = io.BytesIO(data), progress, len(data)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = self._buf.readinto(b)
        if self._progress:
            self._progress(self._buf.tell(), self._total)
        return n


def read_rows(raw_rows: Iterable[RawRow], date_format: str, carries_carers: Callable[[], bool],
              problems: list[Problem]) -> list[PupilRow]:
    rows = []
    for raw in raw_rows:
        row, found = check_row(raw, date_format, carries_carers())
        if row is not None:
            rows.append(row)
        problems.extend(found)
    return rows


def parse(session: Session, imp: MisImport, content: bytes,
          progress: Progress | None = None) -> tuple[list[PupilRow], list[Problem], bool, dict]:
    """The checked rows of an import's file, its problems, whether it is a full list, and
    what its header says."""
    problems: list[Problem] = []
    if imp.source not in FORMATS:  # a plugin's source: the same rows, from its fetch
        src = source_named(session, imp.school_id, imp.source)
        rows = read_rows(src.fetch(session, imp.school_id), "%Y-%m-%d", lambda: True,
                         problems)
        return rows, problems, imp.full, {"source": src.label}
    stream = io.BufferedReader(_Counting(content, progress), buffer_size=1 << 16)
    if imp.source == "ctf":
        file = ctf.CtfFile()
        rows = read_rows(ctf.read_ctf(stream, file), "%Y-%m-%d", lambda: True, problems)
        problems = file.problems + problems
        h = file.header
        _check_urn(session, imp.school_id, h, problems)
        full = h.full if (imp.report or {}).get("full_from_header") else imp.full
        return rows, problems, full, {"ctf_version": h.version, "qualifier": h.qualifier,
                                      "source_urn": h.source_urn}
    layout = layout_for(session, imp.school_id, imp.layout)
    file = csvfile.CsvFile()
    rows = read_rows(csvfile.read_csv(stream, layout, file), layout.date_format,
                     lambda: file.carries_carers, problems)
    return rows, file.problems + problems, imp.full, {"layout": layout.name}


def _check_urn(session: Session, school_id: int, header: ctf.CtfHeader,
               problems: list[Problem]) -> None:
    urn = session.get(School, school_id).urn
    named = [u for u in (header.source_urn, header.dest_urn) if u]
    if named and urn not in named:
        problems.insert(0, Problem("CTfile/Header", "SourceSchool/URN",
                                   f"the file is for URN {' / '.join(named)}, not this school "
                                   f"(URN {urn})"))


def report_of(the_plan: sync.Plan, problems: list[Problem], rows: int, full: bool,
              header: dict) -> dict:
    """The preview as people read it: counts, then each section (capped, counts whole)."""
    cap = sync.REPORT_LIMIT

    def pupil(row: PupilRow) -> dict:
        d = row.details
        return {"where": row.where, "name": f"{d.get('preferred_name') or d['first_name']} "
                f"{d['last_name']}", "upn": row.upn, "year_group": d.get("year_group")}

    return {
        "rows": rows, "full": full, "header": header,
        "counts": {**the_plan.counts(), "problems": len(problems)},
        "adds": [pupil(r) for r in the_plan.adds[:cap]],
        "changes": [{"pupil_id": c.pupil_id, "name": c.name, "where": c.row.where,
                     "fields": sorted(c.fields), "flags_on": c.flags_on,
                     "flags_off": c.flags_off, "carers_added": len(c.carers_added),
                     "carers_ended": len(c.carers_ended)} for c in the_plan.changes[:cap]],
        "review": [{**pupil(r), "pupil_id": pid, "reason": reason}
                   for r, pid, reason in the_plan.review[:cap]],
        "leavers": [{"pupil_id": pid, "name": name} for pid, name in the_plan.leavers[:cap]],
        "problems": [p.as_dict() for p in problems[:PROBLEM_LIMIT]],
    }


def process(session: Session, imp: MisImport, progress: Progress | None = None) -> dict:
    """Preview or commit ``imp`` in the caller's transaction; returns the report (also kept
    on the import)."""
    rows, problems, full, header = parse(session, imp, imp.content or b"", progress)
    roll = sync.read_roll(session, imp.school_id)
    the_plan = sync.plan(rows, roll, full)
    problems = problems + the_plan.problems
    report = report_of(the_plan, problems, len(rows) + len(problems), full, header)
    if problems:
        imp.status = "invalid"
        report["stored"] = None
    elif imp.commit_requested:
        school = session.get(School, imp.school_id)
        report["stored"] = sync.apply(session, None, imp.school_id, school.trust_id,
                                      the_plan, imp.id)
        imp.status, imp.committed_at = "committed", utcnow()
    else:
        imp.status = "previewed"
        report["stored"] = None
    if imp.status in ("committed", "invalid"):
        imp.content = None  # the export's personal data is kept no longer than needed
    imp.report = {**(imp.report or {}), **report}
    return imp.report


def run_import(import_id: int, progress: Progress | None = None) -> dict:
    """Run a recorded import in one system transaction. A commit that fails on the database
    leaves nothing behind: the transaction rolls back and the import says why."""
    db = current_database()
    with db.transaction(SYSTEM) as s:
        imp = s.get(MisImport, import_id)
        if imp is None or imp.status in ("committed", "superseded"):
            return {"status": imp.status if imp else "missing"}
        report = process(s, imp, progress)
        return {"status": imp.status, "counts": report["counts"]}


def confirm_import(session: Session, actor: Actor, school_id: int, import_id: int) -> MisImport:
    """Commit an import already previewed: compared with the roll again when its job runs, so
    what is stored is what is true then. Refused for an import with problems."""
    require(actor, "pupil.manage", school_id)
    imp = get_in_school(session, MisImport, import_id, school_id, "import")
    if imp.status != "previewed":
        raise ValidationError({"import": [_not_confirmable(imp.status)]})
    imp.commit_requested = True
    queue(session, imp)
    audit.record(session, "mis.import_confirmed", actor=actor, object_type="mis_import",
                 object_id=imp.id, school_id=school_id)
    return imp


PREVIEW_KEPT = dt.timedelta(days=7)


def expire_previews(session: Session, school_id: int) -> int:
    """Previews never confirmed within :data:`PREVIEW_KEPT` lose their file (the export's
    personal data) and can no longer be confirmed. Returns how many."""
    old = session.scalars(select(MisImport).where(
        MisImport.school_id == school_id, MisImport.status == "previewed",
        MisImport.created_at < utcnow() - PREVIEW_KEPT)).all()
    for imp in old:
        imp.status, imp.content = "expired", None
    return len(old)


def _not_confirmable(status: str) -> str:
    return {"invalid": "has problems: correct the file and upload it again",
            "expired": "was previewed more than 7 days ago: upload it again",
            "committed": "is already imported",
            "queued": "is still being read: wait for its preview"}.get(
        status, f"cannot be confirmed while {status}")


def get_import(session: Session, actor: Actor, school_id: int, import_id: int) -> MisImport:
    require(actor, "pupil.manage", school_id)
    return get_in_school(session, MisImport, import_id, school_id, "import")


def recent_imports(session: Session, actor: Actor, school_id: int,
                   limit: int = 10) -> list[MisImport]:
    require(actor, "pupil.manage", school_id)
    return list(session.scalars(select(MisImport).where(MisImport.school_id == school_id)
                                .order_by(MisImport.created_at.desc(), MisImport.id.desc())
                                .limit(limit)))
