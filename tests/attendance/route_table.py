"""Who may use each attendance route (see tests/routes/test_route_table.py)."""
CASE = {"dsl", "deputy_dsl", "trust_lead"}
IMPORTERS = {"school_admin", "dsl", "deputy_dsl", "trust_admin"}

ROUTES = {
    "attendance.dashboard": {"methods": {"GET"}, "allow": CASE},
    "attendance.import_form": {"methods": {"GET", "POST"}, "allow": IMPORTERS},
    "attendance.import_status": {"methods": {"GET"}, "allow": IMPORTERS},
    "attendance.review_signal": {"methods": {"POST"}, "allow": {"dsl", "deputy_dsl"}},
    "api_attendance.upload": {"methods": {"POST"}, "allow": IMPORTERS},
    "api_attendance.batch_status": {"methods": {"GET"}, "allow": IMPORTERS},
    "api_attendance.pupil_attendance": {"methods": {"GET"}, "allow": CASE},
    "api_attendance.summary": {"methods": {"GET"},
                               "allow": {"dsl", "deputy_dsl", "headteacher", "trust_lead"}},
}
