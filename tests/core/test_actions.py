"""Plugins declare their access actions and object checks through ``mat_register_actions``;
core's policy is the only gate. Shown with a throwaway plugin, not only the real ones."""
from pathlib import Path

import pytest

from core import hookimpl, policy
from core.contributions import Action, ObjectCheck, PluginInfo
from core.errors import NotFound
from core.plugins import make_host, use_host


class Notebook:
    """A throwaway plugin: a school action for the DSL team, widened by an object check to
    the one person named on a notebook (the ``obj`` the caller asks about)."""

    @hookimpl
    def mat_plugin_info(self):
        return PluginInfo("notebook", "Notebook", "a test plugin")

    @hookimpl
    def mat_register_actions(self):
        return [
            Action("notebook", "notebook.read", {"dsl"}, {"trust_lead"}, mfa=True),
            ObjectCheck("notebook", "notebook.read",
                        lambda session, actor, school_id, obj:
                        obj is not None and obj.get("owner") == actor.user_id),
            Action("notebook", "notebook.rules", trust_roles={"trust_admin"}, trust_level=True),
        ]


@pytest.fixture
def notebook(db):
    host = make_host(load_entry_points=False, extra=[("notebook", Notebook())])
    use_host(host)
    yield host
    use_host(None)


def test_a_plugin_action_is_decided_by_the_policy(session, notebook, make_trust, make_school,
                                                  make_user):
    trust = make_trust()
    school = make_school(trust, plugins=[])
    _, dsl = make_user("dsl", school)
    _, dsl_no_mfa = make_user("dsl", school, mfa=False)
    _, staff = make_user("staff", school)
    _, lead = make_user("trust_lead", trust=trust)
    _, tadmin = make_user("trust_admin", trust=trust)
    assert policy.can(dsl, "notebook.read", school.id)
    assert policy.can(lead, "notebook.read", school.id)
    assert not policy.can(dsl_no_mfa, "notebook.read", school.id)
    assert not policy.can(staff, "notebook.read", school.id)
    assert policy.schools_where(dsl, "notebook.read") == [school.id]
    assert policy.can(tadmin, "notebook.rules", trust_id=trust.id)
    assert not policy.can(lead, "notebook.rules", trust_id=trust.id)
    with pytest.raises(NotFound):
        policy.require(staff, "notebook.read", school.id)


def test_an_object_check_grants_only_with_the_session_and_the_object(
        session, notebook, make_school, make_user):
    school = make_school(plugins=[])
    _, staff = make_user("staff", school)
    _, staff_no_mfa = make_user("staff", school, mfa=False)
    mine, theirs = {"owner": staff.user_id}, {"owner": -1}
    assert policy.can(staff, "notebook.read", school.id, session=session, obj=mine)
    policy.require(staff, "notebook.read", school.id, session=session, obj=mine)
    assert not policy.can(staff, "notebook.read", school.id, session=session, obj=theirs)
    assert not policy.can(staff, "notebook.read", school.id, obj=mine)  # no session: refused
    # the action's second-factor rule stands before any check
    assert not policy.can(staff_no_mfa, "notebook.read", school.id, session=session, obj=mine)


def test_an_unknown_action_names_itself(notebook, make_school, make_user):
    school = make_school(plugins=[])
    _, dsl = make_user("dsl", school)
    with pytest.raises(KeyError, match="notebook.write"):
        policy.can(dsl, "notebook.write", school.id)


def test_core_registers_its_own_actions_through_the_hook(notebook):
    registry = policy.registry_for(notebook)
    assert registry is policy.registry_for(notebook)  # built once per host
    assert registry.actions["casefile.read"].plugin == "core"
    assert registry.actions["notebook.read"].plugin == "notebook"
    assert not any(a.name.startswith(("training.", "transfer.", "encompass."))
                   for a in registry.actions.values())  # those come with their plugins


def test_the_installed_plugins_own_their_actions(host):
    owners = {a.name: a.plugin for a in policy.registry_for(host).actions.values()}
    assert owners["training.manage"] == "training"
    assert owners["transfer.handle"] == "transition"
    assert owners["encompass.read"] == "encompass"
    # hookspecs.py is left out: its docstrings carry plugins' code as examples (docs/hooks.md)
    core_src = "\n".join(p.read_text() for p in (Path(__file__).parents[2] / "core").rglob("*.py")
                         if p.name != "hookspecs.py")
    for name, plugin in owners.items():
        if plugin != "core":
            assert f'"{name}"' not in core_src, f"core names {plugin}'s action {name}"


class Duplicate:
    @hookimpl
    def mat_register_actions(self):
        return [Action("dup", "casefile.read", {"staff"})]


class Widener:
    @hookimpl
    def mat_register_actions(self):
        return [ObjectCheck("widener", "casefile.read", lambda *a: True)]


@pytest.mark.parametrize("plugin,message", [(Duplicate(), "registered by both"),
                                            (Widener(), "may not add an object check")])
def test_a_plugin_cannot_take_over_or_widen_another_plugins_action(plugin, message):
    host = make_host(load_entry_points=False, extra=[("bad", plugin)])
    with pytest.raises(RuntimeError, match=message):
        policy.registry_for(host)


def test_roles_are_a_collection_not_a_string():
    with pytest.raises(TypeError):
        Action("x", "x.do", "dsl")
