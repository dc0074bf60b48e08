"""The workspace's pages through the app: what the lead and a DSL see, forms that fail name
the field, downloads, and refusals (404) for everyone the route table does not allow on the
routes its walk cannot fill (a case study's id, a download's format, the POSTs)."""
from __future__ import annotations

import datetime as dt

import pytest
from tests.trust_lead.documents import docx_xml, pdf_streams

from core import case_study, pupils
from core.calendar import LONDON, london_today

CSRF = "test-csrf-token"


@pytest.fixture
def world(session, make_trust, make_school, make_pupil, make_concern, make_user):
    trust = make_trust()
    north, south = make_school(trust, name="North Lane"), make_school(trust, name="South Hill")
    ada = make_pupil(north, first_name="Adaeze", last_name="Quillfeather")
    ben = make_pupil(south, first_name="Benedikt", last_name="Quillfeather")
    pupils.link_family(session, None, ada.id, ben.id, "sibling")
    at = dt.datetime.combine(london_today() - dt.timedelta(days=2), dt.time(9), LONDON)
    make_concern(north, [ada], occurred_at=at, fact="Adaeze arrived hungry.")
    make_concern(south, [ben], occurred_at=at, fact="Benedikt was withdrawn.")
    south_dsl, _ = make_user("dsl", south)
    south_dsl.name = "Priya Southdsl"
    session.flush()
    return dict(trust=trust, north=north, south=south, ada=ada, ben=ben)


def test_the_lead_sees_families_and_a_dsl_only_their_own_child(client, login_as, world):
    login_as("trust_lead", trust=world["trust"])
    page = client.get("/trust/families").get_data(as_text=True)
    assert "Adaeze Quillfeather" in page and "Benedikt Quillfeather" in page
    fam = client.get(f"/trust/families/{world['ada'].id}").get_data(as_text=True)
    assert "Adaeze arrived hungry." in fam and "Benedikt was withdrawn." in fam
    login_as("dsl", world["north"])
    own = client.get(f"/schools/{world['north'].id}/families")
    text = own.get_data(as_text=True)
    assert own.status_code == 200 and "Adaeze Quillfeather" in text
    assert "A child at South Hill, DSL Priya Southdsl" in text and "Benedikt" not in text
    fam = client.get(f"/schools/{world['north'].id}/families/{world['ada'].id}")
    text = fam.get_data(as_text=True)
    assert "Adaeze arrived hungry." in text and "Benedikt" not in text
    assert "withdrawn" not in text
    # the sibling's own id opens nothing for them, nor does the lead's page
    assert client.get(f"/schools/{world['north'].id}/families/{world['ben'].id}"
                      ).status_code == 404
    assert client.get(f"/trust/families/{world['ada'].id}").status_code == 404


def test_board_report_page_saves_the_narrative_and_downloads(client, login_as, world):
    login_as("trust_lead", trust=world["trust"])
    before = client.get("/trust/board-report?term=2026-09-02").get_data(as_text=True)
    assert "have not been gathered yet" in before and "fewer than 5" not in before
    early = client.get("/trust/board-report/download/pdf?term=2026-09-02")
    assert early.status_code == 302  # nothing prepared: back to the page, no file
    made = client.post("/trust/board-report/prepare",
                       data={"csrf_token": CSRF, "term": "2026-09-02"})
    assert made.status_code == 302  # the job ran inline (no Redis) once the request committed
    page = client.get("/trust/board-report?term=2026-09-02")
    assert page.status_code == 200
    assert "fewer than 5" in page.get_data(as_text=True)
    bad = client.post("/trust/board-report/narrative",
                      data={"csrf_token": CSRF, "term": "2026-09-02",
                            "narrative": "We supported Adaeze Quillfeather closely."})
    assert bad.status_code == 422
    assert "names a child" in bad.get_data(as_text=True).lower()
    ok = client.post("/trust/board-report/narrative",
                     data={"csrf_token": CSRF, "term": "2026-09-02",
                           "narrative": "Attendance pressures in two schools."})
    assert ok.status_code == 302
    pdf = client.get("/trust/board-report/download/pdf?term=2026-09-02")
    assert pdf.mimetype == "application/pdf"
    docx = client.get("/trust/board-report/download/docx?term=2026-09-02")
    assert docx.headers["Content-Disposition"].endswith(".docx")
    for body in (pdf_streams(pdf.data), docx_xml(docx.data)):
        assert "Attendance pressures in two schools." in body
        assert "Quillfeather" not in body and "Adaeze" not in body
    assert client.get("/trust/board-report?term=2026-09-03").status_code == 404
    assert client.get("/trust/board-report/download/odt").status_code == 404


def test_case_study_pages_draft_review_and_export(client, login_as, world):
    login_as("trust_lead", trust=world["trust"])
    made = client.post(f"/schools/{world['north'].id}/pupils/{world['ada'].id}/case-study",
                       data={"csrf_token": CSRF, "title": "Hunger and home"})
    assert made.status_code == 302
    case_url = made.location
    page = client.get(case_url).get_data(as_text=True)
    assert "the child arrived hungry." in page and "Adaeze" not in page
    assert client.get(case_url + "/pdf").status_code == 302  # not reviewed yet: no file
    form = {"csrf_token": CSRF, "background": "A child in Year 5.",
            "key_events": "Day 1: the child arrived hungry.", "went_well": "Quick triage.",
            "could_be_better": "Earlier help.", "learning": "Breakfast club matters."}
    bad = client.post(case_url, data={**form, "went_well": "Adaeze was seen.",
                                      "reviewed": "yes"})
    assert bad.status_code == 422 and "still identifies someone" in bad.get_data(as_text=True).lower()
    assert client.post(case_url, data={**form, "reviewed": "yes"}).status_code == 302
    pdf = client.get(case_url + "/pdf")
    assert pdf.mimetype == "application/pdf" and "Breakfast club matters." in \
        pdf_streams(pdf.data)
    assert client.get("/trust/case-studies").get_data(as_text=True).count("Hunger and home") == 1


@pytest.mark.parametrize("role", ["dsl", "deputy_dsl", "headteacher", "staff", "school_admin",
                                  "trust_admin"])
def test_everyone_but_the_lead_is_refused_what_the_walk_cannot_reach(
        session, client, login_as, make_user, world, role):
    _, lead = make_user("trust_lead", trust=world["trust"])
    study = case_study.create(session, lead, world["north"].id, world["ada"].id)
    school = world["north"] if role != "trust_admin" else None
    login_as(role, school=school, trust=world["trust"] if school is None else None)
    urls_get = ["/trust/board-report/download/pdf", "/trust/board-report/download/docx",
                "/trust/board-report",
                f"/trust/case-studies/{study.id}", f"/trust/case-studies/{study.id}/pdf"]
    for url in urls_get:
        assert client.get(url).status_code == 404, url
    posts = {"/trust/board-report/narrative": {"term": "2026-09-02", "narrative": "x"},
             "/trust/board-report/prepare": {"term": "2026-09-02"},
             f"/trust/case-studies/{study.id}": {"background": "x"},
             f"/schools/{world['north'].id}/pupils/{world['ada'].id}/case-study": {}}
    for url, data in posts.items():
        assert client.post(url, data={"csrf_token": CSRF, **data}).status_code == 404, url


def test_signed_out_is_sent_to_sign_in(client, session, make_user, world):
    _, lead = make_user("trust_lead", trust=world["trust"])
    study = case_study.create(session, lead, world["north"].id, world["ada"].id)
    for url in ("/trust/board-report/download/pdf", f"/trust/case-studies/{study.id}/pdf"):
        resp = client.get(url)
        assert resp.status_code == 302 and "/login" in resp.location
