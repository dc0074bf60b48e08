"""Who may use the converging-signals pages and API (read by tests/routes/test_route_table.py;
the routes naming a firing are walked by tests/signals/test_signals_web.py). Reading is the
case file's (the DSL team, the trust lead); deciding is the DSL team's; the trust pages are
the trust safeguarding lead's."""

CASE_READERS = {"dsl", "deputy_dsl", "trust_lead"}
CASE_WRITERS = {"dsl", "deputy_dsl"}
LEAD = {"trust_lead"}

ROUTES = {
    "signals.index": {"methods": {"GET"}, "allow": CASE_READERS},
    "signals.firing": {"methods": {"GET"}, "allow": CASE_READERS},
    "signals.decide": {"methods": {"POST"}, "allow": CASE_WRITERS},
    "signals.trust_index": {"methods": {"GET"}, "allow": LEAD},
    "signals.family": {"methods": {"GET"}, "allow": LEAD},
    "signals.rules": {"methods": {"GET", "POST"}, "allow": LEAD},
    "api_signals.list_firings": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_signals.get_firing": {"methods": {"GET"}, "allow": CASE_READERS},
    "api_signals.decide": {"methods": {"POST"}, "allow": CASE_WRITERS},
}
