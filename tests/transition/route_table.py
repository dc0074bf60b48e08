"""Who may use each transition URL: the DSL teams of the sending and receiving schools only.
The one-time download link is for a DSL outside the platform, so anyone holding it (signed in
or not) gets an answer; it is worthless without the passphrase given by another channel."""
DSLS = {"dsl", "deputy_dsl"}
EVERYONE = {"anonymous", "staff", "dsl", "deputy_dsl", "headteacher", "school_admin",
            "trust_lead", "trust_admin"}

ROUTES = {
    "transition.index": {"methods": {"GET"}, "allow": DSLS},
    "transition.transfer": {"methods": {"GET"}, "allow": DSLS},
    "transition.prepare": {"methods": {"POST"}, "allow": DSLS},
    "transition.send": {"methods": {"POST"}, "allow": DSLS},
    "transition.bundle_file": {"methods": {"GET"}, "allow": DSLS},
    "transition.failed": {"methods": {"POST"}, "allow": DSLS},
    "transition.record_confirmation": {"methods": {"POST"}, "allow": DSLS},
    "transition.confirm": {"methods": {"POST"}, "allow": DSLS},
    "transition.accept": {"methods": {"POST"}, "allow": DSLS},
    "transition.reject": {"methods": {"POST"}, "allow": DSLS},
    "transition.cohort_page": {"methods": {"GET", "POST"}, "allow": DSLS},
    "transition.import_bundle": {"methods": {"GET", "POST"}, "allow": DSLS},
    "transition.received": {"methods": {"GET"}, "allow": DSLS},
    "transition.receipt": {"methods": {"GET"}, "allow": DSLS},
    "transition.incoming_list": {"methods": {"GET", "POST"}, "allow": DSLS},
    "transition.incoming_one": {"methods": {"GET", "POST"}, "allow": DSLS},
    "transition.incoming_attachment": {"methods": {"GET"}, "allow": DSLS},
    "transition.missing_case": {"methods": {"GET"}, "allow": DSLS},
    "transition.missing_enquiry": {"methods": {"POST"}, "allow": DSLS},
    "transition.missing_notified": {"methods": {"POST"}, "allow": DSLS},
    "transition_public.download": {"methods": {"GET", "POST"}, "allow": EVERYONE},
    "api_transition.list_transfers": {"methods": {"GET"}, "allow": DSLS},
    "api_transition.get_transfer": {"methods": {"GET"}, "allow": DSLS},
    "api_transition.confirm_receipt": {"methods": {"POST"}, "allow": DSLS},
}
