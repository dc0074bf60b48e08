"""What the people of the deployment do over HTTP, shared by the tests: the DSL puts pupils on
roll, a police system posts an Operation Encompass notification; and where their email is."""
from __future__ import annotations

import base64
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

from tests.deployed.deployment import Answer, Deployment, http


def london_now() -> dt.datetime:
    from core.calendar import LONDON

    return dt.datetime.now(LONDON).replace(microsecond=0)


def year_start(dep: Deployment) -> dt.date:
    """The first day of the terms the admin entered (last academic year's)."""
    return min(t.start for t in dep.terms)


def make_pupils(dep: Deployment, count: int, *, on_roll_from: dt.date, **fixed) -> list[dict]:
    """Put pupils on roll through the API as the DSL (four requests at a time)."""
    token = dep.people["dsl"][1]
    start = dep.pupils_made
    dep.pupils_made += count

    def one(i: int) -> dict:
        body = {"first_name": f"Pupil{start + i}", "last_name": "Deployed",
                "date_of_birth": "2016-05-01", "year_group": 5,
                "on_roll_from": on_roll_from.isoformat(), **fixed}
        made = dep.api("POST", f"/api/v1/schools/{dep.school_id}/pupils", token, body)
        assert made.status == 201, f"adding a pupil: {made}"
        return made.json()

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(one, range(count)))


def post_notification(dep: Deployment, child: dict, reference: str) -> Answer:
    """What a police system sends, with the trust's Encompass credentials (HTTP Basic)."""
    key, secret = dep.encompass
    auth = base64.b64encode(f"{key}:{secret}".encode()).decode()
    body = {"urn": dep.urn, "force": "Deployed Police", "police_reference": reference,
            "incident_date": (london_now().date() - dt.timedelta(days=1)).isoformat(),
            "children": [child], "summary": "Officers attended a report of shouting."}
    return http("POST", dep.base + "/api/v1/encompass/notifications",
                body=json.dumps(body).encode(),
                headers={"Authorization": f"Basic {auth}", "Content-Type": "application/json"})


def mail_rows(dep: Deployment, to: str, text: str) -> list[tuple]:
    """(id, sent_at, error) of the outbox's messages to ``to`` whose body holds ``text``."""
    return dep.sql('SELECT id, sent_at, error FROM mail_messages WHERE "to" = %s '
                   "AND strpos(body, %s) > 0", (to, text))
