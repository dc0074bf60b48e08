"""Who may use each training page and endpoint (read by tests/routes/test_route_table.py).

Worked out by hand from the plugin's access rules: the school's admin, headteacher, DSL and
deputy keep training records (training.manage); they and the trust's lead and admin may look
(training.view); everyone in the school sees their own training and signs policies."""

MANAGERS = {"school_admin", "headteacher", "dsl", "deputy_dsl"}
VIEWERS = MANAGERS | {"trust_lead", "trust_admin"}
EVERYONE = VIEWERS | {"staff"}

ROUTES = {
    "training.home": {"methods": {"GET"}, "allow": EVERYONE},
    "training.matrix": {"methods": {"GET"}, "allow": VIEWERS},
    "training.matrix_csv": {"methods": {"GET"}, "allow": VIEWERS},
    "training.me": {"methods": {"GET"}, "allow": EVERYONE},
    "training.person_new": {"methods": {"GET", "POST"}, "allow": MANAGERS},
    # a person's page: viewers, and the person themself (tests/training/test_access.py)
    "training.person": {"methods": {"GET"}, "allow": VIEWERS},
    "training.person_edit": {"methods": {"POST"}, "allow": MANAGERS},
    "training.record_add": {"methods": {"POST"}, "allow": MANAGERS},
    "training.record_withdraw": {"methods": {"POST"}, "allow": MANAGERS},
    "training.certificate": {"methods": {"GET"}, "allow": VIEWERS},
    "training.import_records": {"methods": {"GET", "POST"}, "allow": MANAGERS},
    "training.staff_import_page": {"methods": {"GET", "POST"}, "allow": MANAGERS},
    "training.sessions": {"methods": {"GET", "POST"}, "allow": MANAGERS},
    "training.session": {"methods": {"GET", "POST"}, "allow": MANAGERS},
    # everyone reads the list and signs; publishing (POST) is for managers
    "training.policies": {"methods": {"GET", "POST"}, "allow": EVERYONE},
    "training.policy": {"methods": {"GET", "POST"}, "allow": VIEWERS},
    "training.policy_sign": {"methods": {"POST"}, "allow": EVERYONE},
    "training.needs": {"methods": {"GET"}, "allow": VIEWERS},
    # reading the rules: viewers; changing them (POST): trust_lead and trust_admin only
    "training.courses": {"methods": {"GET", "POST"}, "allow": VIEWERS},
    "api_training.get_compliance": {"methods": {"GET"}, "allow": VIEWERS},
    "api_training.list_staff": {"methods": {"GET"}, "allow": VIEWERS},
    "api_training.add_staff": {"methods": {"POST"}, "allow": MANAGERS},
    "api_training.add_record": {"methods": {"POST"}, "allow": MANAGERS},
}
