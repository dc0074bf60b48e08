"""Who may use each page (read by tests/routes/test_route_table.py and walked again, with
content checks, by tests/web). ``allow`` names the roles that get an answer; everyone else gets
404, and a signed-out visitor is sent to the sign-in page. Worked out by hand from the issue
and core/policy.py's rules.

Own records: the member of staff (or headteacher) who recorded a concern also opens that one
concern and its attachments (``casefile.concern``, ``casefile.attachment``); nobody else's.
Those rows list who may open *any* concern of the school; tests/web checks the own-record rule.
"""

EVERYONE = {"staff", "dsl", "deputy_dsl", "headteacher", "school_admin", "trust_lead",
            "trust_admin"}
RECORDERS = {"staff", "dsl", "deputy_dsl", "headteacher"}
CASE_READERS = {"dsl", "deputy_dsl", "trust_lead"}
CASE_WRITERS = {"dsl", "deputy_dsl"}
SCHOOL_ADMINS = {"school_admin", "trust_admin"}
TRUST_ADMINS = {"trust_admin"}
ROLL_KEEPERS = {"dsl", "deputy_dsl", "school_admin", "trust_admin"}  # pupil.manage

ROUTES = {
    "static": {"methods": {"GET"}, "allow": EVERYONE | {"anonymous"}},
    "pages.home": {"methods": {"GET"}, "allow": EVERYONE},
    # signing in
    "auth.login": {"methods": {"GET", "POST"}, "allow": EVERYONE | {"anonymous"}},
    "auth.second_factor": {"methods": {"GET", "POST"}, "allow": EVERYONE},
    "auth.enrol": {"methods": {"GET", "POST"}, "allow": EVERYONE},
    "auth.logout": {"methods": {"POST"}, "allow": EVERYONE},
    "auth.security": {"methods": {"GET", "POST"}, "allow": EVERYONE},
    # an invitation link: anyone holding it (the walk's made-up token gets "no longer works")
    "auth.invite": {"methods": {"GET", "POST"}, "allow": EVERYONE | {"anonymous"}},
    # recording a concern
    "concerns.record": {"methods": {"GET", "POST"}, "allow": RECORDERS},
    "concerns.pupil_search": {"methods": {"GET"}, "allow": RECORDERS},
    "concerns.mine": {"methods": {"GET"}, "allow": RECORDERS},
    # the case file
    "casefile.concerns": {"methods": {"GET"}, "allow": CASE_READERS},
    "casefile.export": {"methods": {"GET"}, "allow": CASE_READERS},
    "casefile.concern": {"methods": {"GET"}, "allow": CASE_READERS},
    "casefile.attachment": {"methods": {"GET"}, "allow": CASE_READERS},
    "casefile.add_entry": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # actions one owns (every signed-in person has the page; it lists only their own)
    "casefile.my_actions": {"methods": {"GET"}, "allow": EVERYONE},
    "casefile.action_done": {"methods": {"POST"}, "allow": CASE_WRITERS},  # and its owner
    "dashboard.school_dashboard": {"methods": {"GET"}, "allow": CASE_READERS},
    "dashboard.alerts": {"methods": {"GET"}, "allow": CASE_READERS},
    "dashboard.alert": {"methods": {"GET"}, "allow": CASE_READERS},
    "pupils.index": {"methods": {"GET"}, "allow": CASE_READERS},
    "pupils.pupil": {"methods": {"GET"}, "allow": CASE_READERS},
    "pupils.chronology_pdf": {"methods": {"GET"}, "allow": CASE_READERS},
    "pupils.flags": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # family links (a relative found in any school of the trust) and agency contacts
    "family.add": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "family.end": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "family.dismiss": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # suggested family links: a school's DSL team for its pupils, the trust lead for all
    "family_suggestions.school": {"methods": {"GET"}, "allow": CASE_WRITERS},
    "family_suggestions.school_decide": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "family_suggestions.trust_index": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "family_suggestions.trust_decide": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "contacts.add": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "contacts.end": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # retention (the due list, legal holds, the trust's years) and subject access
    "retention.due": {"methods": {"GET"}, "allow": CASE_READERS},
    "retention.rules": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "retention.pupil": {"methods": {"GET"}, "allow": CASE_READERS},
    "retention.hold": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "retention.lift": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "retention.destroy": {"methods": {"POST"}, "allow": {"dsl"}},
    "retention.destroy_records": {"methods": {"POST"}, "allow": {"dsl"}},
    "retention.sar": {"methods": {"GET", "POST"}, "allow": CASE_READERS},
    # converging signals (core.signals): the case file reads, the DSL team decides, the
    # trust lead sees families and tunes the rules (the routes naming a firing are walked by
    # tests/signals/test_signals_web.py)
    "signals.index": {"methods": {"GET"}, "allow": CASE_READERS},
    "signals.firing": {"methods": {"GET"}, "allow": CASE_READERS},
    "signals.decide": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "signals.trust_index": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "signals.family": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "signals.rules": {"methods": {"GET", "POST"}, "allow": {"trust_lead"}},
    # keeping the roll: details and leaving (names and dates, never the case file)
    "pupils.roll": {"methods": {"GET"}, "allow": ROLL_KEEPERS},
    "pupils.details": {"methods": {"GET"}, "allow": ROLL_KEEPERS},
    "pupils.edit": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupils.leave": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    # pupils from the school's MIS: upload, preview, confirm, review queue, "left?", layouts
    "pupil_imports.index": {"methods": {"GET"}, "allow": ROLL_KEEPERS},
    "pupil_imports.upload": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupil_imports.show": {"methods": {"GET"}, "allow": ROLL_KEEPERS},
    "pupil_imports.confirm": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupil_imports.decide": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupil_imports.leaver": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupil_imports.still_on_roll": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    "pupil_imports.save_layout": {"methods": {"POST"}, "allow": ROLL_KEEPERS},
    # the trust
    "overview.trust_overview": {"methods": {"GET"}, "allow": {"trust_lead"}},
    # admin: never case files
    "admin.index": {"methods": {"GET"}, "allow": SCHOOL_ADMINS},
    "admin.add_school": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.school": {"methods": {"GET"}, "allow": SCHOOL_ADMINS},
    "admin.add_term": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.add_closure": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.set_plugin": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.add_person": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.revoke_role": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.sign_out_person": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.jobs": {"methods": {"GET"}, "allow": SCHOOL_ADMINS},
    "admin.retry_job": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.trust": {"methods": {"GET"}, "allow": TRUST_ADMINS},
    "admin.add_category": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.change_category": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.settings": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.add_trust_person": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.revoke_trust_role": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.sign_out_trust_person": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    "admin.reinvite_person": {"methods": {"POST"}, "allow": SCHOOL_ADMINS},
    "admin.reinvite_trust_person": {"methods": {"POST"}, "allow": TRUST_ADMINS},
    # case-file roles: given or confirmed by the trust safeguarding lead
    "admin.role_requests": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "admin.decide_role_request": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "admin.lead_give_role": {"methods": {"POST"}, "allow": {"trust_lead"}},
    # the trust lead's overview pages (issue 16): the trust safeguarding lead of the trust only,
    # as the trust.overview action says; the school's read-only dashboard and the heat map's
    # drill need the school's dashboard or case file too, which the trust lead has
    "overview.trends": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "overview.heatmap": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "overview.heatmap_concerns": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "overview.export": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "overview.school_view": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "overview.suppression_rule": {"methods": {"GET", "POST"}, "allow": {"trust_lead"}},
    # the trust lead's workspace (issue 16): trust.families, trust.board_report and
    # trust.case_study are the trust lead's alone; a school's families page is for its
    # case-file readers (the DSL team, and the lead)
    "families.trust_list": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "families.trust_family": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "families.school_list": {"methods": {"GET"}, "allow": {"dsl", "deputy_dsl", "trust_lead"}},
    "families.school_family": {"methods": {"GET"}, "allow": {"dsl", "deputy_dsl", "trust_lead"}},
    "board_report.page": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "board_report.save_narrative": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "board_report.prepare": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "board_report.download_report": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "case_studies.index": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "case_studies.create": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "case_studies.edit": {"methods": {"GET", "POST"}, "allow": {"trust_lead"}},
    "case_studies.export_pdf": {"methods": {"GET"}, "allow": {"trust_lead"}},
}
