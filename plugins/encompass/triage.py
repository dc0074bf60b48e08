"""The concern a notification opens in the core, so the DSL triages it with everything else
known about the child. Its text says what happened and where to read more, not the police
detail itself, which stays with the notification's stricter access."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.calendar import LONDON
from core.concerns import record_concern
from core.db import utcnow
from core.models import ConcernCategory

from plugins.encompass.deadlines import due_phrase
from plugins.encompass.definition import NAME
from plugins.encompass.models import EncompassChild, EncompassNotification

CATEGORY = "domestic_abuse"


def incident_moment(n: EncompassNotification) -> dt.datetime:
    """When the incident happened, as well as we know it (midnight when no time was given),
    never later than now."""
    at = dt.datetime.combine(n.incident_date, n.incident_time or dt.time(0, 0), LONDON)
    return min(at, utcnow())


def open_concern(session: Session, n: EncompassNotification) -> int | None:
    """Open one concern for the children of ``n`` matched to pupils and not yet covered by
    a concern (``source="encompass"``, category domestic abuse). Returns its id."""
    children = [c for c in session.scalars(select(EncompassChild).where(
        EncompassChild.notification_id == n.id, EncompassChild.school_id == n.school_id))
        if c.pupil_id is not None and c.concern_id is None]
    if not children:
        return None
    cat = session.scalar(select(ConcernCategory.id).where(
        ConcernCategory.trust_id == n.trust_id, ConcernCategory.code == CATEGORY,
        ConcernCategory.active.is_(True)))
    who = "force " + n.force if n.force else "the police"
    named = [c for c in children if c.named]
    fact = (f"Operation Encompass: {who} notified the school of a domestic abuse incident on "
            f"{n.incident_date:%d/%m/%Y} that "
            + ("this child was" if len(children) == 1 else "these children were")
            + " exposed to" + ("" if named else " (a sibling of a child named by the police)")
            + f". The notification (number {n.id}) is in the Encompass inbox; the key adult's "
            f"response is {due_phrase(n.due_at)}.")
    concern = record_concern(session, None, n.school_id, occurred_at=incident_moment(n),
                             pupil_ids=[c.pupil_id for c in children], fact=fact,
                             category_ids=[cat] if cat else [], source=NAME)
    for c in children:
        c.concern_id = concern.id
    session.flush()
    return concern.id
