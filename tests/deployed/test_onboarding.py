"""A school's roll from its MIS, as deployed: the CSV export sent to gunicorn over the API, the
preview and the commit each run by the ``mat worker`` (a real rq worker on Redis, logged in as
the non-superuser login role), and the same export sent again changing nothing."""
from __future__ import annotations

import pytest

from tests.deployed.deployment import multipart, wait_until

pytestmark = pytest.mark.deployed


def _send(app, data: bytes, **fields):
    body, ctype = multipart({"full": "false", **fields}, {"file": ("roll.csv", data, "text/csv")})
    return app.api("POST", f"/api/v1/schools/{app.school_id}/pupils/imports",
                   app.people["dsl"][1], body=body, content_type=ctype)


def _settled(app, import_id: int, wanted: str) -> dict:
    def state():
        answer = app.api("GET", f"/api/v1/schools/{app.school_id}/pupils/imports/{import_id}",
                         app.people["dsl"][1])
        assert answer.status == 200, answer
        body = answer.json()
        return body if body["status"] == wanted and body["job_state"] == "done" else None
    return wait_until(state, 60, f"the import to be {wanted} by the worker")


def test_a_roll_from_the_mis_is_previewed_and_committed_by_the_worker(app):
    from core.mis import samples

    rows = samples.pupils_for(3, seed=4711)
    upns = [r["upn"] for r in rows]
    data = samples.csv_bytes(rows)

    started = _send(app, data)

    assert started.status == 202, started
    imp = started.json()
    assert imp["status"] in ("queued", "previewed") and imp["job_id"], imp
    preview = _settled(app, imp["id"], "previewed")
    assert preview["report"]["counts"]["adds"] == 3, preview["report"]["counts"]
    assert preview["report"]["stored"] is None
    assert app.scalar("SELECT count(*) FROM pupils WHERE upn = ANY(%s)", (upns,)) == 0

    confirmed = app.api("POST", f"/api/v1/schools/{app.school_id}/pupils/imports/{imp['id']}"
                                "/confirm", app.people["dsl"][1])
    assert confirmed.status == 202, confirmed
    done = _settled(app, imp["id"], "committed")
    assert done["report"]["stored"]["added"] == 3, done["report"]
    stored = app.sql("SELECT upn, first_name, last_name, school_id FROM pupils "
                     "WHERE upn = ANY(%s) ORDER BY upn", (upns,))
    assert stored == sorted((r["upn"], r["first_name"], r["last_name"], app.school_id)
                            for r in rows)
    assert app.scalar("SELECT count(*) FROM pupil_carers c JOIN pupils p ON p.id = c.pupil_id "
                      "WHERE p.upn = ANY(%s)", (upns,)) >= 3
    assert app.sql("SELECT status, attempts FROM job_runs WHERE id = %s",
                   (done["job_id"],)) == [("done", 1)]

    again = _send(app, data, commit="true")
    assert again.status == 202, again
    repeat = _settled(app, again.json()["id"], "committed")
    counts = repeat["report"]["counts"]
    assert (counts["adds"], counts["changes"]) == (0, 0), counts
    assert app.scalar("SELECT count(*) FROM pupils WHERE upn = ANY(%s)", (upns,)) == 3
