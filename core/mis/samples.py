"""Sample MIS exports written from pupils' details: the demo's files (``mat demo`` writes a CTF
and a CSV per demo school), the tests' and the benchmark's. They are written in the shapes the
readers take (:mod:`core.mis.ctf`, the default CSV layout of :mod:`core.mis.csvfile`)."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
from xml.sax.saxutils import escape

from core.mis.csvfile import DEFAULT_COLUMNS
from core.upn import make_upn

FIRST = ("Amara", "Oliver", "Zoë", "Mohammed", "Ava", "Noah", "Isla", "Leo", "Freya", "Yusuf",
         "Poppy", "Jack", "Aisha", "Harry", "Maya", "Kacper", "Evie", "Theo", "Sienna", "Ibrahim")
LAST = ("Okafor", "Smith", "O'Brien", "Khan", "Jones", "Nowak", "Williams", "Taylor-Brown",
        "Patel", "Davies", "Evans", "Ahmed", "Wilson", "Murphy", "Begum", "Clarke")
STREETS = ("Mill Lane", "Church Street", "Park Road", "Station Road", "Victoria Street")
TOWNS = ("Leeds", "Bradford", "Wakefield", "Halifax")


def pupils_for(n: int, seed: int = 1, la: str = "383", estab: str = "2000",
               today: dt.date | None = None) -> list[dict]:
    """``n`` made-up pupils with contacts (the same for the same ``seed``)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    out = []
    for i in range(n):
        year = rng.randint(0, 6)
        dob = dt.date(today.year - 5 - year, 9, 1) + dt.timedelta(days=rng.randint(0, 364))
        if dob > today - dt.timedelta(days=365 * 4):
            dob = today - dt.timedelta(days=365 * 5)
        last = rng.choice(LAST)
        address = f"{rng.randint(1, 120)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
        out.append({
            "upn": make_upn(la, f"{int(estab) + i // 1000:04d}", 25, i % 1000),
            "mis_id": f"A{seed:03d}{i:05d}",
            "first_name": rng.choice(FIRST), "last_name": last, "preferred_name": None,
            "date_of_birth": dob, "gender": rng.choice("MF"), "year_group": year,
            "address": address, "sen": rng.choice("NNNNNNKE"),
            "looked_after": rng.random() < 0.02, "pupil_premium": rng.random() < 0.25,
            "eal": rng.random() < 0.15,
            "carers": [{"priority": 1, "title": "Ms", "first_name": rng.choice(FIRST),
                        "last_name": last, "relationship": "PAM",
                        "parental_responsibility": True, "phone": "0113 496 0000",
                        "email": "", "address": address}],
        })
    return out


def _yn(b: bool) -> str:
    return "true" if b else "false"


def ctf_bytes(pupils: list[dict], urn: str, full: bool = True, version: str = "25.0") -> bytes:
    """A CTF of ``pupils`` from the school ``urn``."""
    out = io.StringIO()
    w = out.write
    w('<?xml version="1.0" encoding="UTF-8"?>\n<CTfile>\n<Header>'
      "<DocumentName>Common Transfer File</DocumentName>"
      f"<CTFversion>{version}</CTFversion><DateTime>2026-11-30T08:00:00</DateTime>"
      f"<DocumentQualifier>{'full' if full else 'partial'}</DocumentQualifier>"
      f"<SourceSchool><URN>{urn}</URN></SourceSchool></Header>\n<CTFpupilData>\n")
    for p in pupils:
        e = lambda v: escape(str(v)) if v is not None else ""  # noqa: E731
        w(f"<Pupil><UPN>{e(p['upn'])}</UPN><Surname>{e(p['last_name'])}</Surname>"
          f"<Forename>{e(p['first_name'])}</Forename>"
          f"<DOB>{p['date_of_birth'].isoformat()}</DOB><Sex>{p['gender']}</Sex>"
          "<BasicDetails>")
        if p.get("preferred_name"):
            w(f"<PreferredForename>{e(p['preferred_name'])}</PreferredForename>")
        yg = {-1: "N2", 0: "R"}.get(p["year_group"], str(p["year_group"]))
        lang = "POL" if p.get("eal") else "ENG"
        w(f"<NCyearActual>{yg}</NCyearActual>"
          f"<Languages><Type><LanguageType>F</LanguageType><Language>{lang}</Language></Type>"
          f"</Languages><InCare><InCare>{_yn(p.get('looked_after'))}</InCare></InCare>"
          "</BasicDetails>")
        if p.get("sen") and p["sen"] != "N":
            w(f"<SENhistory><SEN><SENprovision>{p['sen']}</SENprovision></SEN></SENhistory>")
        if p.get("address"):
            w(f"<Address><AddressLines><AddressLine1>{e(p['address'])}</AddressLine1>"
              "</AddressLines></Address>")
        w("<Contacts>")
        for c in p.get("carers", []):
            w(f"<Contact><Order>{c['priority']}</Order><Title>{e(c['title'])}</Title>"
              f"<Surname>{e(c['last_name'])}</Surname><Forename>{e(c['first_name'])}</Forename>"
              f"<Relationship>{e(c['relationship'])}</Relationship>"
              f"<Responsibility>{_yn(c['parental_responsibility'])}</Responsibility>"
              f"<Phones><Phone><PhoneNo>{e(c['phone'])}</PhoneNo></Phone></Phones>"
              f"<Address><AddressLines><AddressLine1>{e(c['address'])}</AddressLine1>"
              "</AddressLines></Address></Contact>")
        w("</Contacts></Pupil>\n")
    w("</CTFpupilData>\n</CTfile>\n")
    return out.getvalue().encode("utf-8")


def csv_bytes(pupils: list[dict], contacts: int = 1) -> bytes:
    """A CSV of ``pupils`` in the default layout (dates dd/mm/yyyy)."""
    fields = [k for k in DEFAULT_COLUMNS if not k.startswith("carer.")]
    carer_fields = [k for k in DEFAULT_COLUMNS if k.startswith("carer.")]
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow([DEFAULT_COLUMNS[k] for k in fields] + [
        DEFAULT_COLUMNS[k].replace("{n}", str(n)) for n in range(1, contacts + 1)
        for k in carer_fields])
    for p in pupils:
        cells = []
        for k in fields:
            v = p.get(k)
            if k == "date_of_birth":
                v = v.strftime("%d/%m/%Y")
            elif isinstance(v, bool):
                v = "Yes" if v else "No"
            elif k == "year_group":
                v = {-1: "N2", 0: "R"}.get(v, str(v))
            cells.append("" if v is None else str(v))
        carers = p.get("carers", [])
        for n in range(contacts):
            c = carers[n] if n < len(carers) else {}
            for k in carer_fields:
                v = c.get(k.removeprefix("carer."), "")
                cells.append(("Yes" if v else "No") if isinstance(v, bool) else str(v))
        w.writerow(cells)
    return out.getvalue().encode("utf-8")
