"""England's published absence figures beside the trust's own (reference/ has the source).

The overview compares a year's figures, so each column takes the most recent *full-year*
figure measured on the school census basis. Part-year rows (autumn, autumn + spring, the
provisional daily data) are left out, and so is 2022/23, whose source does not say whether it
is the final census figure (see the file's notes). No severe-absence rate is in the file.
"""
from __future__ import annotations

import csv
from functools import lru_cache

from plugins.attendance.codes import REFERENCE


@lru_cache(maxsize=1)
def national_figures() -> dict[str, tuple[float, str]]:
    """{"attendance_pct": (value, "2021/22"), "pa_pct": (...)} from the reference table."""
    with open(REFERENCE / "england_absence_headline_rates.csv", encoding="utf-8",
              newline="") as f:
        rows = [r for r in csv.DictReader(f)
                if r["period"] == "full year" and r["basis"] == "school census"]
    rows.sort(key=lambda r: r["academic_year"], reverse=True)
    out: dict[str, tuple[float, str]] = {}
    for r in rows:
        if "attendance_pct" not in out and r["overall_absence_pct"]:
            out["attendance_pct"] = (round(100 - float(r["overall_absence_pct"]), 1),
                                     r["academic_year"])
        if "pa_pct" not in out and r["persistent_absence_pct"]:
            out["pa_pct"] = (float(r["persistent_absence_pct"]), r["academic_year"])
    return out
