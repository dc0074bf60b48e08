"""The transferred file reads like a document: every section of a package built from
realistic data (a concern with entries, attendance with no figures, Operation Encompass
notifications, a file from an earlier school) is shown as labelled fields in words, UK dates
and Europe/London times, on the sender's page, the receiver's pages, the pupil's chronology
and the chronology PDF, with the same time in every view.

The concern happens on 15 June 2026 at 13:00 UTC, which is 14:00 in London (BST): a view
still showing UTC says 13:00, which these tests refuse."""
from __future__ import annotations

import datetime as dt
import re
import zlib
from html.parser import HTMLParser

import pytest
from tests.transition.conftest import acting
from sqlalchemy import select

import plugins.attendance
import plugins.transition
from core import concerns, hookimpl, pupils
from core.contributions import PluginInfo, TransferSection
from core.plugins import make_host, use_host
from plugins.transition import document, service
from plugins.transition.models import ReceivedFile, Transfer

CSRF = "test-csrf-token"
UTC = dt.timezone.utc
HAPPENED = dt.datetime(2026, 6, 15, 13, 0, tzinfo=UTC)       # 14:00 BST
TRIAGED = dt.datetime(2026, 6, 15, 14, 30, tzinfo=UTC)       # 15:30 BST
LONDON_HAPPENED = "15 June 2026, 14:00"
LONDON_TRIAGED = "15 June 2026, 15:30"
# what must never show: raw JSON, internal names, UTC, ISO dates, "n/a%"
FORBIDDEN = [re.compile(p) for p in (r"[{}]", r"attendance_pct", r"\bUTC\b",
                                     r"\d{4}-\d{2}-\d{2}", r"n/a", r"\bnull\b",
                                     r"\bNone\b(?! recorded)", r"\b[a-z]+_[a-z_]+\b")]


class EncompassLike:
    """Operation Encompass's section, in the shape that plugin contributes it (this folder's
    tests do not depend on the other plugins' work in progress)."""

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("policenotes", "Police notifications", "test plugin")

    @hookimpl
    def mat_transfer_sections(self, session, school_id, pupil_id):
        rows = [{"received_at": "2026-07-02T06:10:00+00:00", "incident_date": "2026-07-01",
                 "force": "West Midlands Police", "police_reference": "WM-2026-0413",
                 "child_present": True, "welfare_check": None, "summary": "",
                 "acknowledged_at": None, "support": [], "status": "awaiting_acknowledgement"}]
        return [TransferSection("policenotes", "Operation Encompass notifications",
                                {"notifications": rows},
                                "2026-07-01: notified by West Midlands Police "
                                "(awaiting acknowledgement)")]


@pytest.fixture
def host():
    """Core, transition, the real attendance plugin (a pupil with no marks: no figures) and
    an Encompass-shaped section."""
    h = make_host(load_entry_points=False,
                  extra=[("transition", plugins.transition), ("attendance", plugins.attendance),
                         ("policenotes", EncompassLike())])
    use_host(h)
    yield h
    use_host(None)


class _Visible(HTMLParser):
    """The text a person sees: not tags, attributes, scripts or styles."""

    def __init__(self):
        super().__init__()
        self.parts, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        self._skip += tag in ("script", "style")

    def handle_endtag(self, tag):
        self._skip -= tag in ("script", "style") and self._skip > 0

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible(html: str) -> str:
    p = _Visible()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


def problems(text: str) -> list[str]:
    return [m.group(0) for pat in FORBIDDEN for m in pat.finditer(text)]


def sign_in(client, actor):
    with client.session_transaction() as sess:
        sess.clear()
        sess.update({"csrf_token": CSRF, "_user_id": str(actor.user_id), "_fresh": True,
                     "mfa_ok": True})


@pytest.fixture
def handed_over(db, session, world):
    """A summer concern with two entries, then the in-trust transfer, accepted."""
    w = world
    c = concerns.record_concern(session, w["staff_s"], w["sender"].id,
                                pupil_ids=[w["pupil"].id], occurred_at=HAPPENED,
                                fact="Said she was left alone overnight.",
                                child_words="Mum went out.", location="Classroom")
    concerns.add_entry(session, w["dsl_s"], w["sender"].id, c.id, "triage", risk_level="high",
                       created_at=TRIAGED)
    concerns.add_entry(session, w["dsl_s"], w["sender"].id, c.id, "referral",
                       referral_to="childrens_social_care", body="Rang the front door.",
                       created_at=TRIAGED + dt.timedelta(hours=1))
    session.flush()
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved house", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="Ring me.",
                        key="doc-prep")
        service.send_in_trust(s, w["dsl_s"], w["sender"].id, tid, key="doc-send")
    with acting(db, w["dsl_r"]) as s:
        service.confirm_receipt(s, w["dsl_r"], w["receiver"].id, tid, key="doc-conf")
        rf = service.accept(s, w["dsl_r"], w["receiver"].id, tid,
                            on_roll_from=dt.date(2026, 11, 16), key="doc-acc")
        return {"tid": tid, "rf_id": rf.id, "new_pupil": rf.pupil_id}


def test_every_section_reads_as_a_document(db, world, handed_over):
    with acting(db, world["dsl_r"]) as s:
        body, _ = service.read_package(s, world["dsl_r"], world["receiver"].id,
                                       handed_over["tid"])
    doc = document.read(body)
    titles = [sec.title for sec in doc.sections]
    assert {"Concerns and actions", "Vulnerability flags", "Attendance",
            "Operation Encompass notifications"} <= set(titles)
    raw = str(body)
    assert "attendance_pct" in raw and "2026-06-15T13:00:00+00:00" in raw  # the data as sent
    for sec in doc.sections:
        words = " ".join(_strings(sec))
        assert problems(words) == [], (sec.title, problems(words))
    by_title = {sec.title: sec for sec in doc.sections}
    concern = next(c for c in by_title["Concerns and actions"].concerns
                   if "left alone" in c.fact)
    assert concern.heading == f"Concern of {LONDON_HAPPENED}, Classroom"
    assert [(e.when, e.what) for e in concern.entries] == [
        (LONDON_TRIAGED, "Triaged: high risk"),
        ("15 June 2026, 16:30", "Referral to Children's social care")]
    attendance = _fields(by_title["Attendance"])
    assert attendance["This academic year"]["Attendance"] == "not recorded"
    assert attendance["This academic year"]["From"] == "1 September 2026"
    assert "not recorded" in by_title["Attendance"].summary
    police = _fields(by_title["Operation Encompass notifications"])
    note = police["Notifications"]["Received 2 July 2026, 07:10"]
    assert note["Incident"] == "1 July 2026" and note["Child present"] == "yes"
    assert note["Welfare check"] == "not recorded" and note["Status"] == \
        "Awaiting acknowledgement"
    assert by_title["Operation Encompass notifications"].summary.startswith("1 July 2026:")


def _strings(obj):
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, list):
        for x in obj:
            yield from _strings(x)
    elif hasattr(obj, "__dataclass_fields__"):
        for name in obj.__dataclass_fields__:
            if name != "source":  # the plugin's name: the page shows its label
                yield from _strings(getattr(obj, name))


def _fields(sec) -> dict:
    """A section's groups as nested dicts: title -> {label: value or inner group}."""
    def walk(g):
        out = {f.label: f.value for f in g.fields}
        out.update({inner.title: walk(inner) for inner in g.groups})
        return out
    return {g.title: walk(g) for g in sec.groups}


def test_every_view_shows_the_same_london_time(db, client, world, handed_over):
    w, h = world, handed_over
    sid, rid = w["sender"].id, w["receiver"].id
    pages = {}
    sign_in(client, w["dsl_s"])
    pages["sender's package"] = client.get(
        f"/schools/{sid}/transition/transfers/{h['tid']}").get_data(as_text=True)
    sign_in(client, w["dsl_r"])
    pages["receiver's transfer"] = client.get(
        f"/schools/{rid}/transition/transfers/{h['tid']}").get_data(as_text=True)
    pages["received file"] = client.get(
        f"/schools/{rid}/transition/received/{h['rf_id']}").get_data(as_text=True)
    pages["receiver's chronology"] = client.get(
        f"/schools/{rid}/pupils/{h['new_pupil']}").get_data(as_text=True)
    for name, html in pages.items():
        text = visible(html)
        assert "Said she was left alone overnight." in text, name
        assert LONDON_HAPPENED in text, name
        assert "15 June 2026, 13:00" not in text, name
        if name != "receiver's chronology":  # the chronology page has its own filters
            assert problems(text) == [], (name, problems(text))
    assert "(core)" not in visible(pages["received file"])
    assert LONDON_TRIAGED in visible(pages["received file"])
    chron = visible(pages["receiver's chronology"])
    assert "Triaged at Oakfield Primary" in chron and "15 June 2026, 15:30" in chron

    pdf = client.get(f"/schools/{rid}/pupils/{h['new_pupil']}/chronology.pdf")
    assert pdf.mimetype == "application/pdf"
    text = _pdf_text(pdf.data)
    assert LONDON_HAPPENED in text and "15 June 2026, 13:00" not in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}/\d{2}/\d{4}|\bUTC\b|\[transition\]", text)


def _pdf_text(data: bytes) -> str:
    """The text drawn by fpdf's page streams (compressed with zlib), with the string
    operators' escapes undone; enough to search for a phrase within one line."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", data, re.S):
        try:
            content = zlib.decompress(stream)
        except zlib.error:
            content = stream
        for s in re.findall(rb"\((.*?)(?<!\\)\)\s*Tj", content, re.S):
            out.append(s.replace(rb"\(", b"(").replace(rb"\)", b")").decode("latin-1"))
    return " ".join(out)


@pytest.fixture
def third(world, make_school):
    """A third school of the trust, made before any request (on PostgreSQL a request leaves
    its row-level-security settings on the test's connection)."""
    return make_school(trust=world["trust"], name="Cedar Park School")


def test_a_file_from_an_earlier_school_travels_as_a_document(db, client, world, third,
                                                              handed_over):
    w, h = world, handed_over
    with acting(db, w["dsl_r"]) as s:
        pupils.mark_left(s, w["dsl_r"], w["receiver"].id, h["new_pupil"],
                         dt.date(2026, 12, 2), "Moved again", third.urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == h["new_pupil"]))
        sections = service.preview(s, w["dsl_r"], w["receiver"].id, tid)
        earlier = next(sec for sec in sections if sec.plugin == "transition")
        received_on = s.get(ReceivedFile, h["rf_id"]).received_at
        service.prepare(s, w["dsl_r"], w["receiver"].id, tid, covering_note="Moving on.",
                        key="again")
    assert re.fullmatch(r"File received from Oakfield Primary on \d{1,2} [A-Z][a-z]+ 20\d\d",
                        earlier.title), earlier.title
    assert str(received_on.year) in earlier.title
    view = document.section({"title": earlier.title, "plugin": earlier.plugin,
                             "data": earlier.data, "text": earlier.text})
    inner = {sec.title: sec for sec in view.earlier}
    assert {"Concerns and actions", "Attendance", "Operation Encompass notifications"} <= \
        set(inner)
    assert any(c.heading == f"Concern of {LONDON_HAPPENED}, Classroom"
               for c in inner["Concerns and actions"].concerns)
    sign_in(client, w["dsl_r"])
    text = visible(client.get(f"/schools/{w['receiver'].id}/transition/transfers/{tid}")
                   .get_data(as_text=True))
    assert "File received from Oakfield Primary" in text and LONDON_HAPPENED in text
    assert "Sending school Oakfield Primary" in text
    assert problems(text) == [], problems(text)


def test_what_was_left_out_is_named_in_words(db, client, world):
    w = world
    with acting(db, w["dsl_s"]) as s:
        pupils.mark_left(s, w["dsl_s"], w["sender"].id, w["pupil"].id, dt.date(2026, 11, 11),
                         "Moved house", w["receiver"].urn)
        tid = s.scalar(select(Transfer.id).where(Transfer.pupil_id == w["pupil"].id))
        service.prepare(s, w["dsl_s"], w["sender"].id, tid, covering_note="Ring me.",
                        key="omit", omissions=[
                            {"section": "attendance:attendance", "item": None,
                             "reason": "family court order"},
                            {"section": "core:concerns-and-actions",
                             "item": f"concerns:{w['concern'].id}", "reason": "a sibling's"}])
    sign_in(client, w["dsl_s"])
    text = visible(client.get(f"/schools/{w['sender'].id}/transition/transfers/{tid}")
                   .get_data(as_text=True))
    assert "Left out: Attendance (family court order), Concerns and actions: Bruise on the " \
           "upper arm. (a sibling's)" in text
    assert "concerns:" not in text and "attendance:attendance" not in text
