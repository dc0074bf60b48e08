"""Pupils from a DfE Common Transfer File (CTF, XML), streamed through the C expat parser.

The element names follow the CTF specification's pupil data (see docs/guide/onboarding.md,
"Which CTF"): ``CTfile/Header`` (``CTFversion``, ``DocumentQualifier`` full or partial,
``SourceSchool``/``DestSchool`` ``URN``) and ``CTfile/CTFpupilData/Pupil`` with ``UPN``,
``Surname``, ``Forename``, ``DOB``, ``Sex``, and in ``BasicDetails`` ``FormerUPN``,
``PreferredSurname``, ``PreferredForename``, ``NCyearActual``, ``Languages``, ``InCare``;
``SENhistory/SEN/SENprovision``; ``Address``; ``Contacts/Contact`` with ``Order``,
``Title``, ``Surname``, ``Forename``, ``Relationship``, ``Responsibility``, ``Phones`` and
``Email``. Older files' ``Gender`` and some suppliers' ``LegalSurname``/``LegalForename`` are
read too. Each pupil is found by its path (``CTfile/CTFpupilData/Pupil[3]``): XML parsers keep
no line numbers, so problems name the pupil's path and the element.

Hostile XML is refused the way ``defusedxml`` refuses it, with the C tree builder kept:
``defusedxml.ElementTree`` sets its handlers on the pure-Python ``XMLParser`` (about five
times slower here), so each chunk goes first through a guard, a bare ``xml.parsers.expat``
parser with only the handlers defusedxml sets (a DTD, an entity declaration, an unparsed
entity or an external reference raises), and only then to the C ``XMLPullParser``. Both read
the same bytes in the same order, so the tree builder never sees anything the guard has not
already read whole and allowed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import IO, Iterator

from xml.etree.ElementTree import XMLPullParser
from xml.parsers import expat

from core.mis.rows import Problem, RawRow

PUPIL_PATH = "CTfile/CTFpupilData/Pupil"
CHUNK = 1 << 16
#: our field -> the CTF element (first found wins), as problems name them
ELEMENTS = {
    "upn": ("UPN",),
    "former_upn": ("FormerUPN",),
    "last_name": ("Surname", "LegalSurname"),
    "first_name": ("Forename", "LegalForename"),
    "preferred_last_name": ("PreferredSurname",),
    "preferred_name": ("PreferredForename",),
    "date_of_birth": ("DOB",),
    "gender": ("Sex", "Gender"),
    "year_group": ("NCyearActual",),
    "pupil_premium": ("PupilPremium",),
}
CARER_ELEMENTS = {"priority": "Order", "title": "Title", "first_name": "Forename",
                  "last_name": "Surname", "relationship": "Relationship",
                  "parental_responsibility": "Responsibility", "email": "Email"}
CARER_ORIGIN = {**{f"carer.{k}": v for k, v in CARER_ELEMENTS.items()},
                "carer.phone": "Phones/Phone/PhoneNo", "carer.address": "Address"}
#: first languages that are English (CBDS language codes)
ENGLISH = {"ENG", "ENB"}
ADDRESS_PARTS = ("SAON", "PAON", "Street", "Locality", "Town", "AdministrativeArea",
                 "PostTown", "AddressLine1", "AddressLine2", "AddressLine3", "AddressLine4",
                 "AddressLine5", "County", "PostCode", "Postcode", "Zip")


@lru_cache(maxsize=512)
def _local(tag: str) -> str:
    """A tag without its namespace (a CTF repeats a few dozen tags, so this is cached)."""
    return tag.rsplit("}", 1)[-1]


def _children(elem) -> dict:
    """Direct children by local name (first of each)."""
    out: dict = {}
    for child in elem:
        out.setdefault(_local(child.tag), child)
    return out


def _text(elem) -> str:
    return (elem.text or "").strip() if elem is not None else ""


@dataclass
class CtfHeader:
    version: str = ""
    qualifier: str = ""
    source_urn: str = ""
    dest_urn: str = ""

    @property
    def full(self) -> bool:
        return self.qualifier.casefold() == "full"


@dataclass
class CtfFile:
    """The header once read, and the problems of the file as a whole."""

    header: CtfHeader = field(default_factory=CtfHeader)
    problems: list[Problem] = field(default_factory=list)


def _address(elem) -> str | None:
    if elem is None:
        return None
    parts = []
    for node in elem.iter():
        if _local(node.tag) in ADDRESS_PARTS and _text(node):
            parts.append(_text(node))
    return ", ".join(parts) if parts else ""


def _phone(elem) -> str:
    if elem is None:
        return ""
    for node in elem.iter():
        if _local(node.tag) in ("PhoneNo", "TelephoneNumber") and _text(node):
            return _text(node)
    return ""


def _carer(contact) -> dict:
    kids = _children(contact)
    out = {key: _text(kids.get(tag)) for key, tag in CARER_ELEMENTS.items()}
    out["phone"] = _phone(kids.get("Phones"))
    out["address"] = _address(kids.get("Address")) or ""
    return out


def _extras(pupil) -> dict[str, tuple[str, str]]:
    """SEN provision (the latest: SENhistory lists oldest first), looked after (``InCare``)
    and EAL (first language not English), read in one walk of the pupil's elements; only
    those the pupil carries. Each value with the element it came from."""
    out: dict[str, tuple[str, str]] = {}
    for node in pupil.iter():
        tag = _local(node.tag)
        if tag == "SENprovision":
            out["sen"] = (_text(node), "SENhistory/SEN/SENprovision")
        elif tag == "InCare" and "looked_after" not in out:
            inner = _children(node).get("InCare")
            out["looked_after"] = (_text(inner if inner is not None else node), "InCare")
        elif tag == "FirstLanguage" and _text(node) and "eal" not in out:
            out["eal"] = ("no" if _text(node).upper() in ENGLISH else "yes", "FirstLanguage")
        elif tag == "Type" and "eal" not in out:
            kids = _children(node)
            if _text(kids.get("LanguageType")).upper() in ("F", "FIRST") and "Language" in kids:
                out["eal"] = ("no" if _text(kids["Language"]).upper() in ENGLISH else "yes",
                              "Languages")
    return out


def pupil_row(pupil, where: str) -> RawRow:
    """One ``Pupil`` element as a raw row; ``origin`` names the element of each field."""
    kids = _children(pupil)
    basic = _children(kids["BasicDetails"]) if "BasicDetails" in kids else {}
    values: dict[str, str] = {}
    origin: dict[str, str] = {}
    for key, tags in ELEMENTS.items():
        for tag in tags:
            for scope, prefix in ((kids, ""), (basic, "BasicDetails/")):
                if tag in scope and key not in values:
                    values[key], origin[key] = _text(scope[tag]), prefix + tag
    for key in ("upn", "last_name", "first_name", "date_of_birth", "year_group"):
        values.setdefault(key, "")
        origin.setdefault(key, ELEMENTS[key][0] if key != "year_group"
                          else "BasicDetails/NCyearActual")
    address = _address(kids.get("Address"))
    if address is not None:
        values["address"], origin["address"] = address, "Address"
    for key, (found, tag) in _extras(pupil).items():
        values[key], origin[key] = found, tag
    if "sen" not in values and basic:  # a pupil's full details without SEN: none recorded
        values["sen"], origin["sen"] = "N", "SENhistory/SEN/SENprovision"
    contacts = kids.get("Contacts")
    carers = ([_carer(c) for c in contacts if _local(c.tag) == "Contact"]
              if contacts is not None else None)
    origin |= CARER_ORIGIN
    return RawRow(where, values, carers, origin)


def _header(elem, ctf: CtfFile) -> None:
    kids = _children(elem)
    h = ctf.header
    h.version = _text(kids.get("CTFversion"))
    h.qualifier = _text(kids.get("DocumentQualifier"))
    for name, attr in (("SourceSchool", "source_urn"), ("DestSchool", "dest_urn")):
        if name in kids:
            setattr(h, attr, _text(_children(kids[name]).get("URN")))


class Refused(ValueError):
    """XML that could attack the reader (a DTD, an entity, an external reference)."""


def _refuse(what: str):
    def handler(*_args):
        raise Refused(f"{what} is not allowed in a CTF")
    return handler


def guard() -> expat.XMLParserType:
    """A parser that reads a file only to refuse what ``defusedxml`` refuses (with
    ``forbid_dtd`` on: a CTF has no DTD), raising :class:`Refused`."""
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse("a DTD (<!DOCTYPE>)")
    parser.EntityDeclHandler = _refuse("an entity declaration")
    parser.UnparsedEntityDeclHandler = _refuse("an unparsed entity")
    parser.ExternalEntityRefHandler = _refuse("an external entity reference")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    return parser


def _elements(stream: IO[bytes]) -> Iterator:
    """Each element once closed, in document order, through the guard and then the C
    tree builder, a chunk at a time."""
    wall, pull = guard(), XMLPullParser(events=("end",))
    while chunk := stream.read(CHUNK):
        wall.Parse(chunk, False)
        pull.feed(chunk)
        for _event, elem in pull.read_events():
            yield elem
    wall.Parse(b"", True)
    pull.close()
    for _event, elem in pull.read_events():
        yield elem


def read_ctf(stream: IO[bytes], ctf: CtfFile) -> Iterator[RawRow]:
    """The pupils of a CTF, one raw row each, streamed (an element is cleared once read);
    the header lands in ``ctf.header`` before the first pupil. A file that is not readable
    XML, or not a CTF, becomes a problem of ``ctf`` naming where it stopped."""
    n = 0
    root = None
    try:
        for elem in _elements(stream):
            root = elem
            tag = _local(elem.tag)
            if tag == "Header":
                _header(elem, ctf)
                elem.clear()
            elif tag == "Pupil":
                n += 1
                yield pupil_row(elem, f"{PUPIL_PATH}[{n}]")
                elem.clear()
        # the last element closed is the root: a file whose root is not <CTfile> is refused
        # whole (its rows, already read, are then never stored)
        if root is not None and _local(root.tag) != "CTfile":
            ctf.problems.append(Problem("CTfile", "file", f"the root element is "
                                        f"<{_local(root.tag)}>, not <CTfile>: not a CTF"))
        elif root is None:
            ctf.problems.append(Problem("CTfile", "file", "the file is empty"))
    except Exception as exc:  # malformed or hostile XML (the guard's Refused)
        ctf.problems.append(Problem(f"{PUPIL_PATH}[{n + 1}]" if n else "CTfile", "file",
                                    f"not a readable CTF XML file ({type(exc).__name__}: "
                                    f"{exc})"))
