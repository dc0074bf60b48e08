"""The one row shape every MIS source gives (a CTF, a CSV, a plugin's connector), and the
checks that turn its text into a pupil's details or name each problem with its place.

A source yields :class:`RawRow` objects: ``where`` (``line 12`` or an XML path such as
``CTfile/CTFpupilData/Pupil[3]``) and ``values``, text keyed by the fields of
:data:`FIELDS`, with ``carers`` a list of dicts keyed by :data:`CARER_FIELDS`. A field the
source does not carry at all is left out (its value is then neither checked nor changed);
one it carries blank is ``""``. :func:`check_row` answers a :class:`PupilRow` or the list of
:class:`Problem` found in it.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from core.contacts import email_problem, phone_problem
from core.date_limits import within
from core.upn import upn_problem

#: the pupil fields a source may give (text), with what each holds
FIELDS = {
    "upn": "Unique pupil number (13 characters)",
    "former_upn": "A UPN the pupil had before",
    "mis_id": "The MIS's own id for the pupil (admission number or person id)",
    "last_name": "Legal surname (required)",
    "first_name": "Legal forename (required)",
    "preferred_last_name": "Preferred surname (kept only when different)",
    "preferred_name": "Preferred forename",
    "date_of_birth": "Date of birth (required)",
    "gender": "M, F, X or U (or the words Male, Female...)",
    "year_group": "National curriculum year: N1, N2, R, 1 to 14 (required)",
    "address": "The pupil's home address, one line",
    "sen": "SEN provision: N (none), K (SEN support) or E (EHC plan)",
    "looked_after": "Looked after (in care): yes or no",
    "pupil_premium": "Pupil premium: yes or no",
    "eal": "English as an additional language: yes or no",
}
CARER_FIELDS = ("priority", "title", "first_name", "last_name", "relationship",
                "parental_responsibility", "phone", "email", "address")
REQUIRED = ("last_name", "first_name", "date_of_birth", "year_group")
LIMITS = {"first_name": 100, "last_name": 100, "preferred_name": 100, "address": 300,
          "mis_id": 40}
CARER_LIMITS = {"title": 20, "first_name": 100, "last_name": 100, "relationship": 40,
                "address": 300}
TRUE = {"true", "yes", "y", "1", "t"}
FALSE = {"false", "no", "n", "0", "f", ""}
GENDER_WORDS = {"m": "M", "male": "M", "f": "F", "female": "F", "x": "X", "other": "X",
                "u": "U", "unknown": "U", "not known": "U", "": "U"}
SEN = {"": None, "n": None, "k": "sen_support", "e": "ehcp", "s": "ehcp",
       "sen support": "sen_support", "ehcp": "ehcp", "ehc plan": "ehcp"}
#: the flags an import keeps in step with the MIS (core.models.pupils.FLAGS keys)
MIS_FLAGS = ("sen_support", "ehcp", "looked_after", "pupil_premium", "eal")


@dataclass(frozen=True)
class Problem:
    """One thing wrong in a source: where (a line or an XML path), which field, what."""

    where: str
    field: str
    message: str

    def as_dict(self) -> dict:
        return {"where": self.where, "field": self.field, "message": self.message}

    def __str__(self) -> str:
        return f"{self.where}, {self.field}: {self.message}"


@dataclass
class RawRow:
    """A pupil as a source read it: text values, not yet checked."""

    where: str
    values: dict[str, str]
    carers: list[dict[str, str]] | None = field(default_factory=list)  # None: not carried
    #: field -> the source's own name for it (a CTF element path, a CSV heading), so a
    #: problem names what the person sees in the file; carer fields as ``carer.<field>``
    origin: dict[str, str] = field(default_factory=dict)


@dataclass
class PupilRow:
    """A checked pupil: what an import compares with the roll. ``flags`` holds only the
    flags the source speaks about (True on, False off)."""

    where: str
    details: dict  # first_name, last_name, preferred_name, date_of_birth, gender, ...
    upn: str | None
    former_upn: str | None
    mis_id: str | None
    flags: dict[str, bool]
    carers: list[dict] | None  # None: the source carries no contacts

    @property
    def key(self) -> str:
        """What identifies the row across imports, for the review queue."""
        if self.upn:
            return f"upn:{self.upn}"
        if self.mis_id:
            return f"mis:{self.mis_id}"
        d = self.details
        return f"name:{name_key(d['first_name'], d['last_name'])}:{d['date_of_birth']}"


def name_key(first: str, last: str) -> str:
    """A name as matching compares it: letters only, lower case."""
    fold = lambda s: re.sub(r"[^a-z]", "", (s or "").casefold())  # noqa: E731
    return f"{fold(first)}|{fold(last)}"


def parse_year_group(text: str) -> int:
    """A national curriculum year as MIS exports write it: ``N1``/``N2``/``Nursery`` -1,
    ``R``/``Reception`` 0, ``1``..``14`` or ``Year 7``. ValueError otherwise."""
    t = text.strip().casefold().removeprefix("year").removeprefix("y").strip()
    if t in ("n1", "n2", "n", "nursery"):
        return -1
    if t in ("r", "rec", "reception"):
        return 0
    if t.isdigit() and 0 <= int(t) <= 14:
        return int(t)
    raise ValueError(text)


def parse_bool(text: str) -> bool:
    t = text.strip().casefold()
    if t in TRUE:
        return True
    if t in FALSE:
        return False
    raise ValueError(text)


def parse_date(text: str, fmt: str) -> dt.date:
    """``text`` in ``fmt`` (an ``strptime`` format; ISO also accepted), within 1900-2100."""
    text = text.strip()
    if fmt == "%Y-%m-%d" and len(text) == 10 and text[4] == text[7] == "-" \
            and text.replace("-", "").isdigit():
        # a CTF's dates: the same answer as strptime, at a tenth of its cost
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            raise ValueError(text) from None
        if within(day):
            return day
        raise ValueError(text)
    for f in (fmt, "%Y-%m-%d"):
        try:
            day = dt.datetime.strptime(text, f).date()
        except ValueError:
            continue
        if within(day):
            return day
    raise ValueError(text)


def _text(values: dict, key: str, problems: list, where: str) -> str | None:
    if key not in values:
        return None
    text = " ".join((values[key] or "").split())
    if key in LIMITS and len(text) > LIMITS[key]:
        problems.append(Problem(where, key, f"must be at most {LIMITS[key]} characters"))
    return text


def _identifiers(values: dict, where: str, problems: list) -> tuple:
    ids = []
    for key in ("upn", "former_upn"):
        upn = (values.get(key) or "").strip().upper() or None
        if upn and (problem := upn_problem(upn)):
            problems.append(Problem(where, key, f"{upn!r} {problem}"))
        ids.append(upn)
    mis_id = (values.get("mis_id") or "").strip() or None
    if mis_id and len(mis_id) > 40:
        problems.append(Problem(where, "mis_id", "must be at most 40 characters"))
    return ids[0], ids[1], mis_id


def _dob(values: dict, where: str, date_format: str, problems: list) -> dt.date | None:
    raw = (values.get("date_of_birth") or "").strip()
    try:
        dob = parse_date(raw, date_format)
    except ValueError:
        shown = date_format.replace("%d", "dd").replace("%m", "mm").replace("%Y", "yyyy")
        problems.append(Problem(where, "date_of_birth",
                                f"{raw!r} is not a date ({shown}, between 1900 and 2100)"))
        return None
    today = dt.date.today()
    if dob > today or dob < today - dt.timedelta(days=365 * 25):
        problems.append(Problem(where, "date_of_birth",
                                f"{raw!r} is not a date of birth for a school-age child"))
    return dob


def _flags(values: dict, where: str, problems: list) -> dict[str, bool]:
    flags: dict[str, bool] = {}
    if "sen" in values:
        code = (values["sen"] or "").strip().casefold()
        if code not in SEN:
            problems.append(Problem(where, "sen", f"{values['sen']!r} is not N, K or E"))
        else:
            flags["sen_support"] = SEN[code] == "sen_support"
            flags["ehcp"] = SEN[code] == "ehcp"
    for key in ("looked_after", "pupil_premium", "eal"):
        if key in values:
            try:
                flags[key] = parse_bool(values[key] or "")
            except ValueError:
                problems.append(Problem(where, key, f"{values[key]!r} is not yes or no"))
    return flags


def check_carer(raw: dict, where: str, problems: list) -> dict | None:
    """A parent or carer's details, or None (with the problems noted)."""
    out: dict = {}
    before = len(problems)
    for key, limit in CARER_LIMITS.items():
        out[key] = " ".join((raw.get(key) or "").split())
        if len(out[key]) > limit:
            problems.append(Problem(where, key, f"must be at most {limit} characters"))
    if not out["last_name"]:
        problems.append(Problem(where, "last_name", "is required (the contact's surname)"))
    out["address"] = out["address"] or None
    for key, check in (("phone", phone_problem), ("email", email_problem)):
        out[key] = (raw.get(key) or "").strip()
        if problem := check(out[key]):
            problems.append(Problem(where, key, f"{out[key]!r} {problem}"))
    try:
        out["parental_responsibility"] = parse_bool(raw.get("parental_responsibility") or "")
    except ValueError:
        problems.append(Problem(where, "parental_responsibility",
                                f"{raw.get('parental_responsibility')!r} is not yes or no"))
    priority = (raw.get("priority") or "1").strip()
    if not priority.isdigit() or not 1 <= int(priority) <= 99:
        problems.append(Problem(where, "priority", f"{priority!r} is not a number 1 to 99"))
    else:
        out["priority"] = int(priority)
    return out if len(problems) == before else None


def _carer_place(where: str, n: int) -> str:
    return f"{where}/Contacts/Contact[{n}]" if where.startswith("CTfile") else f"{where}, contact {n}"


def _named(problem: Problem, raw: RawRow) -> Problem:
    carer = "/Contact[" in problem.where or ", contact " in problem.where
    key = f"carer.{problem.field}" if carer else problem.field
    name = raw.origin.get(key)
    return Problem(problem.where, name, problem.message) if name else problem


def check_row(raw: RawRow, date_format: str = "%Y-%m-%d",
              carries_carers: bool = True) -> tuple[PupilRow | None, list[Problem]]:
    """Check one source row: the pupil's details, or every problem found in it (each
    naming the place and the field)."""
    problems: list[Problem] = []
    v, where = raw.values, raw.where
    for key in REQUIRED:
        if not (v.get(key) or "").strip():
            problems.append(Problem(where, key, "is required"))
    details: dict = {}
    for key in ("first_name", "last_name", "preferred_name", "address"):
        text = _text(v, key, problems, where)
        if text is not None:
            details[key] = text or None if key in ("preferred_name", "address") else text
    if details.get("preferred_name") == details.get("first_name"):
        details["preferred_name"] = None  # a preferred name equal to the legal one adds nothing
    upn, former, mis_id = _identifiers(v, where, problems)
    if "date_of_birth" not in [p.field for p in problems]:
        details["date_of_birth"] = _dob(v, where, date_format, problems)
    if "gender" in v:
        gender = GENDER_WORDS.get((v["gender"] or "").strip().casefold())
        if gender is None:
            problems.append(Problem(where, "gender", f"{v['gender']!r} is not M, F, X or U"))
        details["gender"] = gender
    if (v.get("year_group") or "").strip():
        try:
            details["year_group"] = parse_year_group(v["year_group"])
        except ValueError:
            problems.append(Problem(where, "year_group",
                                    f"{v['year_group']!r} is not N1, N2, R or 1 to 14"))
    flags = _flags(v, where, problems)
    carers = None
    if carries_carers and raw.carers is not None:
        checked = (check_carer(c, _carer_place(where, i), problems)
                   for i, c in enumerate(raw.carers, start=1))
        carers = [c for c in checked if c is not None]
    if problems:
        return None, [_named(p, raw) for p in problems]
    return PupilRow(where, details, upn, former, mis_id, flags, carers), []
