"""How the family suggestions (:mod:`core.family_suggestions`) decide that two pupils' parents
or carers are the same person, or that two pupils live at the same address: the normalised
forms of names, phone numbers and email addresses, and the pairs of pupils they connect.

Deliberately strict, since a wrong suggestion across schools is a step towards a wrong link:
a person is the same when their *whole* name matches (titles, case, accents, punctuation and
word order aside: "Mrs Zoë O'Brien" is "obrien zoe") **and** they share a phone number or an
email address, or, within one school, the MIS's own contact id. An initial does not match a
first name. A phone, email or address shared by more than :data:`MAX_SHARED` pupils is not a
family's (a school office's number, a children's home, a block's address line) and is not
used.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from core.families import address_key, postcode_of
from core.names import fold

MAX_SHARED = 8
TITLES = frozenset({"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "rev", "revd", "sir",
                    "dame", "lady", "lord", "fr"})
_APOSTROPHES = re.compile(r"['\u2018\u2019\u201b\u02bc`\u00b4]")
_EXTENSION = re.compile(r"(?i)\s*(?:ext\.?|extension|x)\s*\d+\s*$")


def name_key(*parts: str | None) -> str:
    """A person's name as matching compares it: folded (case, accents), apostrophes dropped,
    other punctuation a space, titles left out, words sorted (so "Smith, Jane" is "Jane
    Smith"). Empty when nothing is left."""
    text = " ".join(p for p in parts if p)
    # most names are plain ASCII, where folding is lower-casing (and far quicker)
    text = _APOSTROPHES.sub("", text.lower() if text.isascii() else fold(text))
    words = [w for w in re.split(r"[^0-9a-z]+", text) if w and w not in TITLES]
    return " ".join(sorted(words))


def phone_key(phone: str | None) -> str | None:
    """A UK phone number as national digits ("+44 (0)113 496 0000", "0044 113 4960000" and
    "0113-496-0000" are all "01134960000"), an extension left off; None when fewer than 10
    digits remain (too short to say whose it is)."""
    digits = re.sub(r"\D", "", _EXTENSION.sub("", phone or ""))
    if digits.startswith("00"):
        digits = digits[2:]
    if digits.startswith("44"):
        digits = digits[2:]
        digits = digits if digits.startswith("0") else "0" + digits
    return digits if len(digits) >= 10 else None


def email_key(email: str | None) -> str | None:
    """An email address without surrounding spaces, in lower case; None unless it has one
    ``@`` with something either side."""
    text = (email or "").strip().lower()
    local, at, domain = text.partition("@")
    return text if at and local and domain and "@" not in domain else None


def home_key(address: str | None) -> str | None:
    """A pupil's address as it is compared (:func:`core.families.address_key`), only when it
    carries a UK postcode: "12 Mill Road" alone names a street in many towns."""
    return address_key(address) if postcode_of(address) else None


@dataclass(frozen=True)
class Carer:
    """What matching needs of one parent or carer with parental responsibility, with the
    normalised forms computed once (:meth:`of`)."""

    pupil_id: int
    school_id: int
    name: str
    key: str
    phone: str | None = None
    email: str | None = None
    mis_contact_id: str | None = None

    @classmethod
    def of(cls, pupil_id: int, school_id: int, name: str, phone: str | None = None,
           email: str | None = None, mis_contact_id: str | None = None) -> "Carer":
        return cls(pupil_id, school_id, name, name_key(name), phone_key(phone),
                   email_key(email), mis_contact_id or None)


def _too_common(values) -> set:
    counts: dict = {}
    for value, pupil in values:
        if value:
            counts.setdefault(value, set()).add(pupil)
    return {v for v, pupils in counts.items() if len(pupils) > MAX_SHARED}


def _same_person(a: Carer, b: Carer, common: set) -> str | None:
    """How ``a`` and ``b`` are known to be one person (their names already match), or None."""
    if a.mis_contact_id and a.school_id == b.school_id and a.mis_contact_id == b.mis_contact_id:
        return "MIS contact id"
    if a.phone and a.phone == b.phone and ("phone", a.phone) not in common:
        return "phone number"
    if a.email and a.email == b.email and ("email", a.email) not in common:
        return "email address"
    return None


def _ordered(a: int, b: int) -> tuple[int, int]:
    return (a, b) if a < b else (b, a)


def contact_pairs(carers: list[Carer]) -> dict[tuple[int, int], list[dict]]:
    """Pairs of pupils (lower id first) sharing a parent or carer with parental
    responsibility (``carers`` made by :meth:`Carer.of`): each with what connects them, as ``{"kind": "contact", "via": ...,
    "names": {pupil_id: that pupil's record of the person}, "key": ...}``."""
    common = {("phone", v) for v in _too_common((c.phone, c.pupil_id) for c in carers)}
    common |= {("email", v) for v in _too_common((c.email, c.pupil_id) for c in carers)}
    by_name: dict[str, list[Carer]] = {}
    for carer in carers:
        if carer.key:
            by_name.setdefault(carer.key, []).append(carer)
    pairs: dict[tuple[int, int], list[dict]] = {}
    for key, group in by_name.items():
        for a, b in combinations(group, 2):
            if a.pupil_id == b.pupil_id or (via := _same_person(a, b, common)) is None:
                continue
            pair = _ordered(a.pupil_id, b.pupil_id)
            evidence = {"kind": "contact", "via": via, "key": f"contact:{key}:{via}",
                        "names": {str(a.pupil_id): a.name, str(b.pupil_id): b.name}}
            found = pairs.setdefault(pair, [])
            if all(e["key"] != evidence["key"] for e in found):
                found.append(evidence)
    return pairs


def address_pairs(addresses: dict[int, str | None]) -> dict[tuple[int, int], list[dict]]:
    """Pairs of pupils (lower id first) whose addresses are the same home (:func:`home_key`),
    leaving out an address more than :data:`MAX_SHARED` pupils share."""
    homes: dict[str, list[int]] = {}
    for pupil_id, address in addresses.items():
        if key := home_key(address):
            homes.setdefault(key, []).append(pupil_id)
    pairs: dict[tuple[int, int], list[dict]] = {}
    for key, pupils in homes.items():
        if len(pupils) > MAX_SHARED:
            continue
        for a, b in combinations(sorted(pupils), 2):
            pairs.setdefault((a, b), []).append({"kind": "address", "key": f"address:{key}"})
    return pairs
