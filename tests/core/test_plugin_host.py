"""The plugin host, shown with a tiny plugin defined here (not only the real ones)."""
import datetime as dt
import re
from pathlib import Path

import pytest

from core import hookimpl, hookspecs
from core.calendar import LONDON
from core.chronology import pupil_chronology
from core.contributions import ChronologyItem, Metric, MetricDefinition, PluginInfo
from core.errors import ValidationError
from core.overview import trust_overview
from core.plugins import make_host, use_host


class TinyPlugin:
    """Counts events and contributes a chronology line and a metric."""

    def __init__(self):
        self.recorded: list[int] = []
        self.entries: list[int] = []
        self.pupil_events: list[tuple] = []

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("tiny", "Tiny", "a test plugin")

    @hookimpl
    def mat_concern_recorded(self, session, school_id, concern_id):
        self.recorded.append(concern_id)

    @hookimpl
    def mat_concern_entry_added(self, session, school_id, concern_id, entry_id):
        self.entries.append(entry_id)

    @hookimpl
    def mat_pupil_event(self, session, school_id, pupil_id, event, data):
        self.pupil_events.append((pupil_id, event, data))

    @hookimpl
    def mat_chronology_entries(self, session, school_id, pupil_id, start, end):
        return [ChronologyItem("tiny", "tiny", dt.datetime(2026, 10, 1, 9, tzinfo=LONDON),
                               "Tiny event")]

    @hookimpl
    def mat_metric_definitions(self):
        return [MetricDefinition("tiny", "answer", "The answer")]

    @hookimpl
    def mat_trust_metrics(self, session, school_id, start, end):
        return [Metric("tiny", school_id, "answer", 42)]


@pytest.fixture
def tiny(db):
    plugin = TinyPlugin()
    host = make_host(load_entry_points=False, extra=[("tiny", plugin)])
    use_host(host)
    yield host, plugin
    use_host(None)


def test_disabled_plugin_is_not_called_for_that_school(session, tiny, make_trust, make_school,
                                                       make_pupil, make_concern, make_user):
    host, plugin = tiny
    trust = make_trust()
    on, off = make_school(trust, plugins=["tiny"]), make_school(trust, plugins=[])
    c_on = make_concern(on, [make_pupil(on)])
    c_off = make_concern(off, [make_pupil(off)])
    assert plugin.recorded == [c_on.id]
    from core.concerns import add_entry

    _, dsl_on = make_user("dsl", on)
    _, dsl_off = make_user("dsl", off)
    e_on = add_entry(session, dsl_on, on.id, c_on.id, "triage", risk_level="low")
    add_entry(session, dsl_off, off.id, c_off.id, "triage", risk_level="low")
    assert plugin.entries == [e_on.id]
    _, lead = make_user("trust_lead", trust=trust)
    ov = trust_overview(session, lead, trust.id, dt.date(2026, 9, 1), dt.date(2026, 12, 18))
    assert ov.cells[on.id]["tiny.answer"] == 42
    assert "tiny.answer" not in ov.cells[off.id]
    assert any(d.key == "answer" for d in ov.definitions)


def test_chronology_merges_plugin_entries_only_where_enabled(session, tiny, make_school,
                                                             make_pupil, make_user, make_concern):
    host, _ = tiny
    school = make_school(plugins=["tiny"])
    pupil = make_pupil(school)
    make_concern(school, [pupil])
    _, dsl = make_user("dsl", school)
    kinds = {i.kind for i in pupil_chronology(session, dsl, school.id, pupil.id)}
    assert {"tiny", "concern", "roll"} <= kinds
    only = pupil_chronology(session, dsl, school.id, pupil.id, kinds={"tiny"})
    assert [i.title for i in only] == ["Tiny event"]
    host.set_enabled(session, school.id, "tiny", False)
    assert "tiny" not in {i.kind for i in pupil_chronology(session, dsl, school.id, pupil.id)}


def test_enablement_is_persisted_audited_and_validated(session, tiny, make_school):
    host, _ = tiny
    school = make_school(plugins=[])
    assert host.enabled(session, school.id) == set()
    assert host.set_enabled(session, school.id, "tiny", True) is True
    assert host.set_enabled(session, school.id, "tiny", True) is False
    assert host.enabled(session, school.id) == {"tiny"}
    with pytest.raises(ValidationError):
        host.set_enabled(session, school.id, "nonexistent", True)


def test_misspelt_hook_fails_at_start():
    class Bad:
        @hookimpl
        def mat_chronology_entrys(self):
            return []

    with pytest.raises(Exception, match="unknown hook"):
        make_host(load_entry_points=False, extra=[("bad", Bad())])


HOOKS = sorted(n for n in dir(hookspecs) if n.startswith("mat_"))


# each hook's docstring, example and section of docs/hooks.md: tests/test_docs.py


def test_every_hook_is_exercised_by_some_test():
    tests = Path(__file__).parents[1]
    text = "\n".join(p.read_text() for p in tests.rglob("test_*.py"))
    for name in HOOKS:
        if name == "mat_plugin_info":
            continue
        implemented_or_called = re.search(rf"def {name}\(|\"{name}\"|{name}\(", text)
        assert implemented_or_called, f"no test exercises {name}"


def test_school_hooks_are_never_called_directly():
    root = Path(__file__).parents[2]
    school_hooks = [n for n in HOOKS if n not in (
        "mat_plugin_info", "mat_blueprints", "mat_cli_commands", "mat_recurring_jobs",
        "mat_metric_definitions", "mat_demo_data")]
    offenders = []
    for path in list(root.glob("core/**/*.py")) + list(root.glob("plugins/**/*.py")) + \
            list(root.glob("web/**/*.py")):
        src = path.read_text()
        for name in school_hooks:
            if f"hook.{name}" in src:
                offenders.append(f"{path.relative_to(root)}: {name}")
    assert offenders == []


def test_pupil_events_reach_plugins_on_for_that_school(session, tiny, make_trust, make_school,
                                                       make_pupil, make_user):
    import datetime as dt

    from core import pupils

    host, plugin = tiny
    trust = make_trust()
    on, off = make_school(trust, plugins=["tiny"]), make_school(trust, plugins=[])
    p_on, p_off = make_pupil(on), make_pupil(off)
    assert plugin.pupil_events == [(p_on.id, "created", {})]
    _, admin_on = make_user("school_admin", on)
    _, admin_off = make_user("school_admin", off)
    pupils.mark_left(session, admin_on, on.id, p_on.id, dt.date(2026, 10, 23), "Moved",
                     "123456")
    pupils.mark_left(session, admin_off, off.id, p_off.id, dt.date(2026, 10, 23), "Moved")
    assert plugin.pupil_events[-1] == (p_on.id, "left", {"date": "2026-10-23",
                                                         "destination_urn": "123456",
                                                         "destination_unknown": False,
                                                         "reason": "Moved"})
    assert len(plugin.pupil_events) == 2
