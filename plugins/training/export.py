"""The compliance matrix as a CSV file, for the school's records or an inspection pack."""
from __future__ import annotations

import csv
import io

from plugins.training.compliance import Matrix
from plugins.training.models import JOB_ROLES, SAFEGUARDING_ROLES
from plugins.training.validity import STATUS_LABELS

# a cell starting with one of these is a formula to a spreadsheet: prefix it so it stays text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_START) else value


def matrix_csv(matrix: Matrix) -> str:
    """One row per person: name, role, compliant, then per course its status and due date
    (empty where the person's role does not need the course)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    header = ["Name", "Role", "Safeguarding role", "Compliant"]
    for c in matrix.courses:
        header += [c.label, f"{c.label}: due"]
    writer.writerow([_cell(h) for h in header])
    for row in matrix.rows:
        p = row.person
        line = [p.name, JOB_ROLES[p.job_role], SAFEGUARDING_ROLES[p.safeguarding_role] if
                p.safeguarding_role else "", "Yes" if row.compliant else "No"]
        for c in matrix.courses:
            state = row.cells.get(c.id)
            line += ["", ""] if state is None else [
                STATUS_LABELS[state.status], state.due_on.isoformat() if state.due_on else ""]
        writer.writerow([_cell(v) for v in line])
    return out.getvalue()
