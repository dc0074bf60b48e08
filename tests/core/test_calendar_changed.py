"""Saving a school's calendar tells the plugins on there (``mat_calendar_changed``), inside the
saving transaction and after the change, so what they counted in school days can be counted
again; a plugin raising refuses the change."""
import datetime as dt

import pytest

from core import hookimpl, schools
from core.calendar import TermSpan, calendar_for
from core.contributions import PluginInfo
from core.plugins import make_host, use_host

SPRING = TermSpan("Spring", dt.date(2027, 1, 5), dt.date(2027, 3, 26))


class CalendarWatcher:
    def __init__(self):
        self.seen: list[tuple[int, bool]] = []
        self.refuse = False

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("watcher", "Watcher", "a test plugin")

    @hookimpl
    def mat_calendar_changed(self, session, school_id):
        if self.refuse:
            raise RuntimeError("refused")
        # the new calendar is already readable: is 5 January 2027 a school day?
        self.seen.append((school_id, calendar_for(session, school_id).is_school_day(
            dt.date(2027, 1, 5))))


@pytest.fixture
def watcher(db):
    plugin = CalendarWatcher()
    use_host(make_host(load_entry_points=False, extra=[("watcher", plugin)]))
    yield plugin
    use_host(None)


def test_terms_and_closures_are_announced_to_the_schools_with_the_plugin_on(
        session, watcher, make_trust, make_school):
    trust = make_trust()
    on, off = make_school(trust, plugins=["watcher"]), make_school(trust, plugins=[])
    watcher.seen.clear()  # the fixture's own terms were entered before the plugin was on
    schools.set_terms(session, on.id, [SPRING])
    schools.set_terms(session, off.id, [SPRING])
    assert watcher.seen == [(on.id, True)]
    schools.add_closure(session, on.id, dt.date(2027, 1, 5), "INSET")
    assert watcher.seen == [(on.id, True), (on.id, False)]


def test_a_plugin_raising_refuses_the_change(session, watcher, make_school):
    school = make_school(plugins=["watcher"])
    watcher.refuse = True
    with pytest.raises(RuntimeError), session.begin_nested():
        schools.set_terms(session, school.id, [SPRING])
    assert not calendar_for(session, school.id).is_school_day(dt.date(2027, 1, 5))
