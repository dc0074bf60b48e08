"""Who may use each endpoint of the JSON API (read by tests/routes/test_route_table.py).

``allow`` names the roles that get an answer; everyone else gets 404, and a caller who is
signed out gets 401. Worked out from the issue and core/policy.py's rules, by hand."""

CASE_READERS = {"dsl", "deputy_dsl", "trust_lead"}
CASE_WRITERS = {"dsl", "deputy_dsl"}
RECORDERS = {"staff", "dsl", "deputy_dsl", "headteacher"}
SEARCHERS = RECORDERS | {"trust_lead"}
ADMINS = {"school_admin", "trust_admin"}
EVERYONE = {"staff", "dsl", "deputy_dsl", "headteacher", "school_admin", "trust_lead",
            "trust_admin"}

ROUTES = {
    "api-docs.openapi_json": {"methods": {"GET"}, "allow": EVERYONE | {"anonymous"}},
    # the caller's own actions (an empty list for someone who owns none)
    "api_actions.my_actions": {"methods": {"GET"}, "allow": EVERYONE},
    "api_actions.action_done": {"methods": {"POST"}, "allow": CASE_WRITERS},  # and its owner
    "api_schools.list_schools": {"methods": {"GET"}, "allow": EVERYONE},
    "api_schools.list_categories": {"methods": {"GET"}, "allow": RECORDERS},
    "api_pupils.list_pupils": {"methods": {"GET"}, "allow": SEARCHERS},
    "api_pupils.create_pupil": {"methods": {"POST"},
                                "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupils.get_pupil": {"methods": {"GET"}, "allow": SEARCHERS},
    "api_pupils.update_pupil": {"methods": {"PATCH"},
                                "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupils.leave": {"methods": {"POST"},
                         "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupils.pupil_history": {"methods": {"GET"}, "allow": CASE_READERS},
    # pupils from the school's MIS (those who keep the roll)
    "api_pupil_imports.start": {"methods": {"POST"},
                                "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupil_imports.status": {"methods": {"GET"},
                                 "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupil_imports.confirm": {"methods": {"POST"},
                                  "allow": {"school_admin", "dsl", "deputy_dsl", "trust_admin"}},
    "api_pupils.list_flags": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_pupils.add_flag": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_pupils.end_flag": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # family links across the trust and agency contacts (case file: reads audited)
    "api_family.list_family": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_family.add_link": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_family.end_link": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_family.search_relatives": {"methods": {"GET"}, "allow": CASE_WRITERS},
    "api_family.suggestions": {"methods": {"GET"}, "allow": CASE_WRITERS},
    "api_family.dismiss": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # suggested family links (a school's DSL team; the trust lead for the whole trust)
    "api_family_suggestions.school_list": {"methods": {"GET"}, "allow": CASE_WRITERS},
    "api_family_suggestions.school_confirm": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_family_suggestions.school_dismiss": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_family_suggestions.trust_list": {"methods": {"GET"}, "allow": {"trust_lead"}},
    "api_family_suggestions.trust_confirm": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "api_family_suggestions.trust_dismiss": {"methods": {"POST"}, "allow": {"trust_lead"}},
    "api_contacts.list_contacts": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_contacts.add_contact": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_contacts.end_contact": {"methods": {"POST"}, "allow": CASE_WRITERS},
    # retention: the due list, legal holds, the trust's years; subject access exports
    "api_retention.due": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_retention.pupil_retention": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_retention.set_hold": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_retention.lift_hold": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_retention.destroy": {"methods": {"POST"}, "allow": {"dsl"}},
    "api_retention.destroy_records": {"methods": {"POST"}, "allow": {"dsl"}},
    "api_retention.set_rules": {"methods": {"PUT"}, "allow": {"trust_lead"}},
    "api_retention.subject_access_items": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_retention.subject_access_export": {"methods": {"POST"}, "allow": CASE_READERS},
    # the member of staff who recorded a concern also reads their own (tests/api)
    "api_concerns.list_concerns": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_concerns.record_concern": {"methods": {"POST"}, "allow": RECORDERS},
    "api_concerns.get_concern": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_concerns.download_attachment": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_concerns.export_concerns": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_entries.add_entry": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "api_chronology.chronology": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_alerts.list_alerts": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_alerts.mark_read": {"methods": {"POST"}, "allow": CASE_READERS},
    "api_plugins.list_plugins": {"methods": {"GET"}, "allow": ADMINS},
    "api_plugins.get_plugin": {"methods": {"GET"}, "allow": ADMINS},
    "api_plugins.switch_plugin": {"methods": {"PUT"}, "allow": ADMINS},
    "api_trust.overview": {"methods": {"GET"}, "allow": {"trust_lead"}},
}
