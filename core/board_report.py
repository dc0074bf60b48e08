"""The termly safeguarding report for trustees and local governing bodies: figures per school
and for the trust, a trend over the last terms, training compliance, Operation Encompass
timeliness and transfers on time (from plugins through ``mat_report_figures``), and the trust
lead's narrative for the term (stored, every save kept).

No child can be identified from it: it names no pupil, and every figure about children goes
through the trust's small-number rule (:mod:`core.suppression`), whose sentence the report
prints. The narrative is the lead's own words; a save that contains a pupil's full name or a
UPN is refused. Documents are drawn by :mod:`core.board_documents`.

Every school's figures take a few tenths of a second to gather (the plugins' counts above
all), so at 50 schools a report takes seconds (benchmarks/board_report.py): the figures are
prepared by a background job (:func:`prepare`, an RQ job through :mod:`core.jobs`, inline
without Redis) and kept as a :class:`~core.models.BoardReportSnapshot`; the page and the
documents read the newest snapshot with the newest narrative.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import audit, jobs, suppression
from core.calendar import LONDON
from core.concerns import concerns_count
from core.db import SYSTEM, current_database
from core.errors import NotFound, ValidationError
from core.models import (BoardNarrative, BoardReportSnapshot, ConcernEntry, JobRun, Pupil,
                         School, Term, Trust)
from core.names import fold
from core.overview import pupils_on_roll
from core.plugins import current_host
from core.policy import Actor, actor_for, require

MAX_NARRATIVE = 20_000
SECONDARY_TEXT = ("Where one school's count is hidden, the next smallest is withheld too, and "
                  "so is a rate taken from a hidden count, so that no hidden count can be "
                  "worked out from the trust's total or a school's roll.")
TREND_TERMS = 3
_UPN = re.compile(r"\b[A-Z]\d{11}[0-9A-Z]\b")


@dataclass(frozen=True)
class TermChoice:
    name: str
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        return f"{self.name} {self.start:%Y}"

    @property
    def key(self) -> str:
        return self.start.isoformat()

    @property
    def dates(self) -> str:
        return f"{self.start:%d/%m/%Y} to {self.end:%d/%m/%Y}"


@dataclass
class Row:
    """One line of the report's table: a school's (or the trust's) figures, already
    suppressed, as text."""

    name: str
    cells: dict[str, str] = field(default_factory=dict)


@dataclass
class BoardReport:
    trust_name: str
    term: TermChoice
    rule_text: str
    columns: list[tuple[str, str]]  # key, heading
    schools: list[Row]
    trust: Row
    trend_terms: list[TermChoice]
    trend: list[Row]  # concerns recorded per term (by TermChoice.key): schools and the trust
    narrative: str
    narrative_saved: dt.datetime | None


def terms_of_trust(session: Session, trust_id: int) -> list[TermChoice]:
    """The terms in the trust's school calendars, newest first, one per start date (schools
    of a trust usually share them; the first school's name for a date is kept)."""
    rows = session.execute(select(Term.name, Term.start_date, Term.end_date)
                           .join(School, School.id == Term.school_id)
                           .where(School.trust_id == trust_id)
                           .order_by(Term.start_date.desc(), School.name)).all()
    seen: dict[dt.date, TermChoice] = {}
    for name, start, end in rows:
        seen.setdefault(start, TermChoice(name, start, end))
    return list(seen.values())


def term_of_trust(session: Session, trust_id: int, start: dt.date) -> TermChoice:
    for term in terms_of_trust(session, trust_id):
        if term.start == start:
            return term
    raise ValidationError({"term": ["is not a term of the trust's calendars"]})


def _window(term: TermChoice) -> tuple[dt.datetime, dt.datetime]:
    return (dt.datetime.combine(term.start, dt.time.min, LONDON),
            dt.datetime.combine(term.end + dt.timedelta(days=1), dt.time.min, LONDON))


def _referrals(session: Session, school_id: int, term: TermChoice) -> int:
    lo, hi = _window(term)
    return session.scalar(select(func.count()).select_from(ConcernEntry).where(
        ConcernEntry.school_id == school_id, ConcernEntry.kind == "referral",
        ConcernEntry.created_at >= lo, ConcernEntry.created_at < hi)) or 0


def _raw_figures(session: Session, school_id: int, term: TermChoice) -> dict[str, dict]:
    """One school's figures before suppression: key -> {label, count, of, children}."""
    lo, hi = _window(term)
    pupils = pupils_on_roll(session, school_id, term.start, term.end)
    n = concerns_count(session, school_id, lo, hi)
    out = {
        "pupils": {"label": "Pupils on roll", "count": pupils, "of": None, "children": False},
        "concerns": {"label": "Concerns recorded", "count": n, "of": None, "children": True},
        "concerns_per_100": {"label": "Concerns per 100 pupils", "count": n, "of": pupils,
                             "children": True, "per_100": True, "numerator_of": "concerns"},
        "referrals": {"label": "Referrals made", "count": _referrals(session, school_id, term),
                      "of": None, "children": True},
    }
    for f in current_host().call_for_school(session, school_id, "mat_report_figures",
                                            start=term.start, end=term.end):
        if f.school_id == school_id:
            out[f"{f.plugin}.{f.key}"] = {"label": f.label, "count": f.count, "of": f.of,
                                          "children": f.about_children, "yes_no": f.yes_no}
    return out


def _shown(fig: dict, rule: suppression.SuppressionRule) -> str:
    """A figure as the report prints it, under the rule."""
    count, of = fig["count"], fig["of"]
    if of is None:
        value = rule.count(count) if fig["children"] else count
        return "" if value is None else str(value)
    if not of:
        return "no data"  # nothing to take a rate of (no transfer due, no notification)
    if fig.get("yes_no"):  # one school's yes or no; the trust's row says how many schools
        return ("Yes" if count else "No") if of == 1 else f"{count} of {of} schools"
    per = 100
    if fig["children"] and 0 < count < rule.threshold:
        return "withheld"  # with its base known, a rate would give the hidden count away
    if fig["children"]:
        value = rule.rate(count, of, per=per)
    else:
        value = round(per * count / of, 1) if of else None
    if value is None:
        return "no data"
    if value == suppression.WITHHELD:
        return "withheld"
    return f"{value}" if fig.get("per_100") else f"{value}%"


def secondary(counts: dict[int, int], rule: suppression.SuppressionRule) -> set[int]:
    """The schools whose count must also be withheld so that a count the rule hides cannot
    be worked out from the trust's total: when exactly one school's count is hidden, the
    smallest other count above zero goes too (then only the sum of the two can be known)."""
    hidden = [k for k, n in counts.items() if 0 < n < rule.threshold]
    if len(hidden) != 1:
        return set()
    others = sorted((n, k) for k, n in counts.items() if n > 0 and k not in hidden)
    return {others[0][1]} if others else set()


def _protected(raw: dict[int, dict[str, dict]], rule: suppression.SuppressionRule
               ) -> dict[int, dict[str, str]]:
    """Each school's figures as printed: the rule on each, then the secondary withholding of
    children's counts, which also withholds the rate taken from a withheld count."""
    shown = {sid: {k: _shown(f, rule) for k, f in figs.items()} for sid, figs in raw.items()}
    keys = {k for figs in raw.values() for k, f in figs.items()
            if f["children"] and f["of"] is None}
    for key in keys:
        counts = {sid: figs[key]["count"] for sid, figs in raw.items() if key in figs}
        for sid in secondary(counts, rule):
            shown[sid][key] = "withheld"
            for other, f in raw[sid].items():
                if f.get("numerator_of") == key:
                    shown[sid][other] = "withheld"
    return shown


def _total(figs: list[dict]) -> dict:
    first = figs[0]
    count = sum(f["count"] for f in figs)
    of = None if first["of"] is None else sum(f["of"] or 0 for f in figs)
    return {**first, "count": count, "of": of}


def build_report(session: Session, actor: Actor, trust_id: int,
                 term_start: dt.date) -> BoardReport:
    """Gather the report for the term starting ``term_start`` (trust lead): every figure
    already under the trust's rule. Slow on a large trust: pages read :func:`latest_report`,
    which :func:`prepare` keeps."""
    require(actor, "trust.board_report", trust_id=trust_id)
    trust = session.get(Trust, trust_id)
    if trust is None:
        raise NotFound("trust")
    term = term_of_trust(session, trust_id, term_start)
    rule = suppression.rule_for(session, trust_id)
    schools = list(session.scalars(select(School).where(School.trust_id == trust_id)
                                   .order_by(School.name)))
    raw = {sc.id: _raw_figures(session, sc.id, term) for sc in schools}
    columns: dict[str, str] = {}
    for figs in raw.values():
        for key, fig in figs.items():
            columns.setdefault(key, fig["label"])
    shown = _protected(raw, rule)
    rows = [Row(sc.name, shown[sc.id]) for sc in schools]
    total = Row("Trust", {k: _shown(_total([raw[s][k] for s in raw if k in raw[s]]), rule)
                          for k in columns})
    trend_terms, trend = _trend(session, schools, term, trust_id, rule)
    narrative = latest_narrative(session, trust_id, term.start)
    return BoardReport(trust.name, term, f"{rule.describe()} {SECONDARY_TEXT}",
                       list(columns.items()), rows, total,
                       trend_terms, trend, narrative.text if narrative else "",
                       narrative.saved_at if narrative else None)


def _trend(session: Session, schools: list[School], term: TermChoice, trust_id: int,
           rule: suppression.SuppressionRule) -> tuple[list[TermChoice], list[Row]]:
    """Concerns recorded in this term and the terms before it (up to :data:`TREND_TERMS`),
    per school and for the trust, each count under the rule."""
    terms = [t for t in terms_of_trust(session, trust_id) if t.start <= term.start]
    terms = list(reversed(terms[:TREND_TERMS]))
    counts = {sc.id: [concerns_count(session, sc.id, *_window(t)) for t in terms]
              for sc in schools}
    cells = {sc.id: {t.key: str(rule.count(n)) for t, n in zip(terms, counts[sc.id])}
             for sc in schools}
    for i, t in enumerate(terms):  # a term's hidden count is not left to subtraction either
        for sid in secondary({sc.id: counts[sc.id][i] for sc in schools}, rule):
            cells[sid][t.key] = "withheld"
    rows = [Row(sc.name, cells[sc.id]) for sc in schools]
    totals = [sum(counts[sc.id][i] for sc in schools) for i in range(len(terms))]
    rows.append(Row("Trust", {t.key: str(rule.count(n)) for t, n in zip(terms, totals)}))
    return terms, rows


# --- prepared in the background, read from the snapshot --------------------------------------

def _job_id(trust_id: int, term_start: dt.date) -> str:
    return f"board-report-{trust_id}-{term_start.isoformat()}"


def queue_prepare(session: Session, actor: Actor, trust_id: int, term_start: dt.date) -> str:
    """Ask for the term's figures to be gathered now (the trust lead): a job recorded in the
    caller's transaction, handed over when it commits. Asking again while one is waiting
    does not queue a second."""
    require(actor, "trust.board_report", trust_id=trust_id)
    term = term_of_trust(session, trust_id, term_start)
    return jobs.enqueue(prepare, trust_id, term.start.isoformat(), actor.user_id,
                        session=session, user_id=actor.user_id,
                        job_id=_job_id(trust_id, term.start))


def prepare(trust_id: int, term_start: str, user_id: int) -> dict:
    """The job: gather the report as the lead who asked (their second factor was checked
    when they asked) and keep it as a snapshot. Safe to run twice: each run adds the figures
    as they are then, and the newest is shown."""
    with current_database().transaction(SYSTEM) as s:
        actor = actor_for(s, user_id, mfa=True)
        report = build_report(s, actor, trust_id, dt.date.fromisoformat(term_start))
        figures = asdict(report)
        figures.pop("narrative"), figures.pop("narrative_saved")
        row = BoardReportSnapshot(trust_id=trust_id, term_start=report.term.start,
                                  figures=_jsonable(figures), made_by_id=user_id)
        s.add(row)
        s.flush()
        audit.record(s, "board_report.prepared", user_id=user_id, object_type="trust",
                     object_id=trust_id, trust_id=trust_id,
                     detail={"term_start": term_start, "snapshot": row.id})
        return {"snapshot": row.id}


def _jsonable(value):
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _term_from(d: dict) -> TermChoice:
    return TermChoice(d["name"], dt.date.fromisoformat(d["start"]),
                      dt.date.fromisoformat(d["end"]))


def preparing(session: Session, trust_id: int, term_start: dt.date) -> bool:
    """Whether the term's figures are being gathered now (a job waiting or running)."""
    run = session.get(JobRun, _job_id(trust_id, term_start))
    return run is not None and run.status not in jobs.FINISHED


def latest_report(session: Session, actor: Actor, trust_id: int,
                  term_start: dt.date) -> tuple[BoardReport, dt.datetime] | None:
    """The newest prepared report for the term with the newest narrative, and when its
    figures were gathered; None before the first is prepared. Audited as a read."""
    require(actor, "trust.board_report", trust_id=trust_id)
    snap = session.scalar(select(BoardReportSnapshot).where(
        BoardReportSnapshot.trust_id == trust_id, BoardReportSnapshot.term_start == term_start)
        .order_by(BoardReportSnapshot.made_at.desc(), BoardReportSnapshot.id.desc()).limit(1))
    if snap is None:
        return None
    f = snap.figures
    narrative = latest_narrative(session, trust_id, term_start)
    report = BoardReport(
        f["trust_name"], _term_from(f["term"]), f["rule_text"],
        [tuple(c) for c in f["columns"]], [Row(**r) for r in f["schools"]], Row(**f["trust"]),
        [_term_from(t) for t in f["trend_terms"]], [Row(**r) for r in f["trend"]],
        narrative.text if narrative else "", narrative.saved_at if narrative else None)
    audit.record(session, "board_report.read", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={"term_start": term_start, "snapshot": snap.id})
    return report, snap.made_at


# --- the lead's narrative ---------------------------------------------------------------------

def latest_narrative(session: Session, trust_id: int, term_start: dt.date
                     ) -> BoardNarrative | None:
    return session.scalar(select(BoardNarrative).where(
        BoardNarrative.trust_id == trust_id, BoardNarrative.term_start == term_start)
        .order_by(BoardNarrative.saved_at.desc(), BoardNarrative.id.desc()).limit(1))


def identifying_words(session: Session, trust_id: int, text: str) -> list[str]:
    """What in ``text`` names a child: the full name of a pupil of the trust's schools, or
    something shaped like a UPN. Compared without case or accents."""
    found = [m.group(0) for m in _UPN.finditer(text.upper())]
    folded = " " + " ".join(re.findall(r"[a-z0-9']+", fold(text))) + " "
    rows = session.execute(select(Pupil.first_name, Pupil.preferred_name, Pupil.last_name)
                           .join(School, School.id == Pupil.school_id)
                           .where(School.trust_id == trust_id)).all()
    for first, preferred, last in rows:
        for given in filter(None, (first, preferred)):
            name = " ".join(re.findall(r"[a-z0-9']+", fold(f"{given} {last}")))
            if name and f" {name} " in folded and name not in found:
                found.append(f"{given} {last}")
    return found


def save_narrative(session: Session, actor: Actor, trust_id: int, term_start: dt.date,
                   text: str) -> BoardNarrative:
    """Save the lead's narrative for a term (a new row each time; the newest is printed).
    Refused, naming ``narrative``, when too long or when it names a child."""
    require(actor, "trust.board_report", trust_id=trust_id)
    term = term_of_trust(session, trust_id, term_start)
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_NARRATIVE:
        raise ValidationError({"narrative": [f"must be at most {MAX_NARRATIVE} characters"]})
    named = identifying_words(session, trust_id, text)
    if named:
        raise ValidationError({"narrative": [
            "names a child or gives a UPN (" + ", ".join(sorted(set(named))) + "): the board "
            "report must not identify any child"]})
    row = BoardNarrative(trust_id=trust_id, term_start=term.start, term_name=term.name,
                         text=text, saved_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.record(session, "board_report.narrative_saved", actor=actor, object_type="trust",
                 object_id=trust_id, trust_id=trust_id,
                 detail={"term_start": term.start, "characters": len(text)})
    return row
