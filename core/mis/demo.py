"""The demo's MIS exports: for each demo school, a CTF and a CSV of its roll as the MIS would
export it a little later, so onboarding can be tried on the demo (``mat pupils import --school
990101 <instance>/demo-exports/990101.xml --dry-run``). Against the demo roll each file shows
two pupils to add, a parent or carer and the MIS id for every pupil (one also with a new
address), one row to review (the name and date of birth of a pupil on roll, no UPN) and one
pupil no longer listed ("left?")."""
from __future__ import annotations

import random
from pathlib import Path

from sqlalchemy import select

from core.db import SYSTEM, Database
from core.mis import samples
from core.models import Pupil, PupilFlag, School
from core.upn import make_upn

RELATIONS = (("Mrs", "PAM"), ("Mr", "PAF"), ("Ms", "CAR"))


def _as_sample(p: Pupil, rng: random.Random, flags: set[str]) -> dict:
    title, relation = rng.choice(RELATIONS)
    sen = "E" if "ehcp" in flags else "K" if "sen_support" in flags else "N"
    return {"upn": p.upn, "mis_id": f"ADM{p.id:05d}", "first_name": p.first_name,
            "last_name": p.last_name, "preferred_name": p.preferred_name,
            "date_of_birth": p.date_of_birth, "gender": p.gender, "year_group": p.year_group,
            "address": p.address, "sen": sen, "looked_after": "looked_after" in flags,
            "pupil_premium": "pupil_premium" in flags, "eal": "eal" in flags,
            "carers": [{"priority": 1, "title": title, "first_name": rng.choice(samples.FIRST),
                        "last_name": p.last_name, "relationship": relation,
                        "parental_responsibility": True,
                        "phone": f"07700 9{rng.randrange(10000, 99999)}", "email": "",
                        "address": p.address or ""}]}


def school_export(roll: list[Pupil], flags: dict[int, set[str]], seed: int) -> list[dict]:
    """The roll as a later MIS export would give it (see the module's docstring); the MIS
    agrees with the flags the school holds."""
    rng = random.Random(seed)
    rows = [_as_sample(p, rng, flags.get(p.id, set())) for p in roll]
    if len(rows) < 4:
        return rows
    rows[0]["address"] = "7 Orchard Way, Leeds LS6 3AB"
    review = dict(rows[1], upn=None, mis_id=None, carers=[])
    rows = rows[:-1] + [review]
    new = samples.pupils_for(2, seed=seed, la="330", estab="4900")
    for n, p in enumerate(new):
        p["upn"] = make_upn("330", "4900", 26, 900 + seed % 50 + n)
    return rows + new


def write_demo_exports(db: Database, school_ids: list[int], folder: Path) -> list[Path]:
    """Write ``<URN>.xml`` and ``<URN>.csv`` for each school into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    with db.transaction(SYSTEM) as s:
        for sid in school_ids:
            urn = s.get(School, sid).urn
            roll = list(s.scalars(select(Pupil).where(Pupil.school_id == sid,
                                                      Pupil.on_roll_to.is_(None))
                                  .order_by(Pupil.id)))
            active: dict[int, set[str]] = {}
            for pid, flag in s.execute(select(PupilFlag.pupil_id, PupilFlag.flag).where(
                    PupilFlag.school_id == sid, PupilFlag.end_date.is_(None))):
                active.setdefault(pid, set()).add(flag)
            rows = school_export(roll, active, sid)
            for suffix, content in ((".xml", samples.ctf_bytes(rows, urn)),
                                    (".csv", samples.csv_bytes(rows))):
                path = folder / f"{urn}{suffix}"
                path.write_bytes(content)
                written.append(path)
    return written
