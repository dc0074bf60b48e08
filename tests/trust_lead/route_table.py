"""Who may use the trust lead's workspace pages (read by tests/routes/test_route_table.py):
families across schools, the board report, case studies. Worked out from core.default_actions:
``trust.families``, ``trust.board_report`` and ``trust.case_study`` are the trust lead's alone;
a school's families page is for its case-file readers (the DSL team, and the lead)."""

LEAD = {"trust_lead"}
CASE_READERS = {"dsl", "deputy_dsl", "trust_lead"}

ROUTES = {
    "families.trust_list": {"methods": {"GET"}, "allow": LEAD},
    "families.trust_family": {"methods": {"GET"}, "allow": LEAD},
    "families.school_list": {"methods": {"GET"}, "allow": CASE_READERS},
    "families.school_family": {"methods": {"GET"}, "allow": CASE_READERS},
    "board_report.page": {"methods": {"GET"}, "allow": LEAD},
    "board_report.save_narrative": {"methods": {"POST"}, "allow": LEAD},
    "board_report.prepare": {"methods": {"POST"}, "allow": LEAD},
    "board_report.download_report": {"methods": {"GET"}, "allow": LEAD},
    "case_studies.index": {"methods": {"GET"}, "allow": LEAD},
    "case_studies.create": {"methods": {"POST"}, "allow": LEAD},
    "case_studies.edit": {"methods": {"GET", "POST"}, "allow": LEAD},
    "case_studies.export_pdf": {"methods": {"GET"}, "allow": LEAD},
}
