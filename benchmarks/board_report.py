"""``python -m benchmarks board --size tiny|medium``: how long the termly board report takes to
build (figures of every school through the core and ``mat_report_figures``) and to write as PDF
and Word, measured against the trust overview for the same term in the same run (the page the
lead already waits for). Decides whether the report needs a background job: if building and
writing it stays within a few overviews' time, it is made in the request.

Built with the trust benchmark's data (its builders: schools, pupils, a term of marks through
the import, concerns with entries, the plugins' own demo records). Results go to
``results/board_<size>.json``: ``report_p50_ms``, ``report_p95_ms``, ``pdf_ms``, ``docx_ms``,
``overview_p95_ms``, ``ratio`` (report and both files / overview), ``schools``, ``pupils``."""
from __future__ import annotations

import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from core import board_documents, board_report
from core.calendar import academic_year_start, london_today
from core.db import SYSTEM
from core.overview import trust_overview
from core.policy import actor_for

from .scratch import scratch_database
from .trust import (RESULTS, SIZES, analyse, build_trust, import_marks, pct, plugin_records,
                    record_concerns)


def _times(fn, n: int, warm: bool = True) -> list[float]:
    """Seconds of ``n`` calls (after one warm-up call unless ``warm`` is False)."""
    if warm:
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def main(size: str) -> dict:
    cfg = SIZES[size]
    today = london_today()
    runs = max(5, cfg["requests"] // 3)
    with scratch_database() as (url, db), tempfile.TemporaryDirectory() as tmp:
        trust = build_trust(db, cfg, academic_year_start(today))
        import_marks(db, trust, today - dt.timedelta(days=cfg["days"]),
                     today - dt.timedelta(days=1), Path(tmp), seed=1)
        record_concerns(db, trust, cfg["concerns"], today, seed=3)
        plugin_records(db, trust, seed=2026)
        analyse(db)
        with db.transaction(SYSTEM) as s0:
            lead = actor_for(s0, trust["lead"], mfa=True)
        with db.session(lead.scope()) as s:
            term = next(t for t in board_report.terms_of_trust(s, trust["trust"])
                        if t.start <= today)
            report_ms, overview_ms, pdf_ms, docx_ms = [], [], [], []
            for _ in range(runs):  # interleaved, so load on the machine falls on both alike
                overview_ms += _times(lambda: trust_overview(s, lead, trust["trust"],
                                                             term.start, term.end), 1)
                report_ms += _times(lambda: board_report.build_report(
                    s, lead, trust["trust"], term.start), 1, warm=False)
            report = board_report.build_report(s, lead, trust["trust"], term.start)
            pdf_ms = _times(lambda: board_documents.report_pdf(report, "Lead"), 3)
            docx_ms = _times(lambda: board_documents.report_docx(report, "Lead"), 3)
            s.rollback()  # the audit lines of the measurement are not kept
    whole = pct(report_ms, 0.95) + 1000 * (max(pdf_ms) + max(docx_ms))
    result = {"size": size, "date": today.isoformat(), "schools": cfg["schools"],
              "pupils": cfg["schools"] * cfg["pupils"], "runs": runs,
              "report_p50_ms": pct(report_ms, 0.5), "report_p95_ms": pct(report_ms, 0.95),
              "pdf_ms": round(1000 * max(pdf_ms), 1), "docx_ms": round(1000 * max(docx_ms), 1),
              "overview_p95_ms": pct(overview_ms, 0.95),
              "ratio": round(whole / pct(overview_ms, 0.95), 2) if overview_ms else None}
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"board_{size}.json"
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return result
