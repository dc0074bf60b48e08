"""Who may use the trust lead's pages added for issue 16 (read by
tests/routes/test_route_table.py): the trust safeguarding lead of the trust only, as the
``trust.overview`` action says; the school's read-only dashboard and the heat map's drill
need the school's dashboard or case file too, which the trust lead has. The overview page's
own row is in tests/web/route_table.py."""

LEAD = {"trust_lead"}

ROUTES = {
    "overview.trends": {"methods": {"GET"}, "allow": LEAD},
    "overview.heatmap": {"methods": {"GET"}, "allow": LEAD},
    "overview.heatmap_concerns": {"methods": {"GET"}, "allow": LEAD},
    "overview.export": {"methods": {"GET"}, "allow": LEAD},
    "overview.school_view": {"methods": {"GET"}, "allow": LEAD},
    "overview.suppression_rule": {"methods": {"GET", "POST"}, "allow": LEAD},
}
