"""The demo's sample MIS exports show every part of an import against the demo roll."""
from __future__ import annotations

from sqlalchemy import select

from core.mis import demo, service
from core.models import Pupil
from core.upn import make_upn


def test_the_demo_export_previews_adds_changes_review_and_left(session, make_school,
                                                               make_user, make_pupil, tmp_path,
                                                               db):
    school = make_school()
    _, admin = make_user("school_admin", school)
    for n, name in enumerate(("Ava", "Ben", "Cara", "Dev", "Ella")):
        make_pupil(school, first_name=name, upn=make_upn("330", "4001", 25, n),
                   address=f"{n} Mill Road")
    session.commit()
    paths = demo.write_demo_exports(db, [school.id], tmp_path)
    assert sorted(p.name for p in paths) == [f"{school.urn}.csv", f"{school.urn}.xml"]
    roll = list(session.scalars(select(Pupil).where(Pupil.school_id == school.id)
                                .order_by(Pupil.id)))
    for path in paths:
        imp = service.start_import(session, admin, school.id, path.read_bytes(), path.name)
        report = service.process(session, imp)
        assert report["counts"] == {"adds": 2, "changes": 4, "unchanged": 0, "review": 1,
                                    "leavers": 1, "problems": 0}, path.name
        assert report["leavers"] == [{"pupil_id": roll[-1].id, "name": roll[-1].display_name}]
        assert report["review"][0]["pupil_id"] == roll[1].id
        first = next(c for c in report["changes"] if c["pupil_id"] == roll[0].id)
        assert first["fields"] == ["address"] and first["carers_added"] == 1
