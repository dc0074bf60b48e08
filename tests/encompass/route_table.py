"""Who may use each Encompass route (see tests/routes/test_route_table.py).

Besides these roles, the school's key adults (a plugin table, not a role: usually staff)
use the inbox, notification, logging, upload and document routes; tests/encompass covers
them. The police intake takes no signed-in person at all, only its own client credentials.
"""
DSL_TEAM = {"dsl", "deputy_dsl"}

ROUTES = {
    "encompass.inbox": {"methods": {"GET"}, "allow": DSL_TEAM},
    "encompass.log": {"methods": {"GET", "POST"}, "allow": DSL_TEAM},
    "encompass.upload": {"methods": {"GET", "POST"}, "allow": DSL_TEAM},
    "encompass.notification": {"methods": {"GET"}, "allow": DSL_TEAM},
    "encompass.add_step": {"methods": {"POST"}, "allow": DSL_TEAM},
    "encompass.unmatched": {"methods": {"GET"}, "allow": DSL_TEAM},
    "encompass.match": {"methods": {"GET", "POST"}, "allow": DSL_TEAM},
    "encompass.key_adults": {"methods": {"GET", "POST"}, "allow": DSL_TEAM},
    "encompass.remove_key_adult": {"methods": {"POST"}, "allow": DSL_TEAM},
    "encompass.document": {"methods": {"GET"}, "allow": DSL_TEAM},
    "api_encompass.post_notification": {"methods": {"POST"}, "allow": set()},
}
