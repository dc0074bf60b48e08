"""Who may use the converging-signals API (read by tests/routes/test_route_table.py; its pages'
rows are in tests/web/route_table.py, where every page's row is; the routes naming a firing are
walked by tests/signals/test_signals_web.py). Reading is the case file's (the DSL team, the
trust lead); deciding is the DSL team's."""

CASE_READERS = {"dsl", "deputy_dsl", "trust_lead"}
CASE_WRITERS = {"dsl", "deputy_dsl"}

ROUTES = {
    "api_signals.list_firings": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_signals.get_firing": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_signals.decide": {"methods": {"POST"}, "allow": CASE_WRITERS},
}
