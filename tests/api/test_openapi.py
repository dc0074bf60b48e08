import importlib
import pkgutil
import re

import web.apis

CORE_BLUEPRINTS = {importlib.import_module(f"web.apis.{m.name}").blp.name
                   for m in pkgutil.iter_modules(web.apis.__path__)
                   if hasattr(importlib.import_module(f"web.apis.{m.name}"), "blp")}

WITH_BODY = {("post", "/api/v1/schools/{school_id}/concerns"),
             ("post", "/api/v1/schools/{school_id}/pupils"),
             ("post", "/api/v1/schools/{school_id}/concerns/{concern_id}/entries"),
             ("put", "/api/v1/schools/{school_id}/plugins/{name}"),
             ("post", "/api/v1/schools/{school_id}/pupils/{pupil_id}/flags"),
             ("post", "/api/v1/schools/{school_id}/pupils/{pupil_id}/flags/{flag_id}/end")}
REQUIRED = {"/api/v1/schools", "/api/v1/schools/{school_id}/pupils",
            "/api/v1/schools/{school_id}/concerns",
            "/api/v1/schools/{school_id}/concerns/{concern_id}",
            "/api/v1/schools/{school_id}/concerns/{concern_id}/entries",
            "/api/v1/schools/{school_id}/pupils/{pupil_id}/chronology",
            "/api/v1/schools/{school_id}/plugins/{name}", "/api/v1/trust/overview"}


def _openapi_path(rule: str) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule)


def test_the_document_lists_every_api_route_with_its_schemas(app, client):
    r = client.get("/api/v1/openapi.json")  # public: integrators read it before a token
    assert r.status_code == 200
    spec = r.get_json()
    assert REQUIRED <= set(spec["paths"])
    checked = 0
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/") or rule.endpoint == "api-docs.openapi_json":
            continue
        path = _openapi_path(rule.rule)
        assert path in spec["paths"], path
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = spec["paths"][path][method.lower()]
            ok = [code for code in op["responses"] if code.startswith("2")]
            assert ok, (method, path)
            if rule.endpoint.split(".")[0] not in CORE_BLUEPRINTS:
                continue  # a plugin's endpoint: its own tests say more
            checked += 1
            assert {"401", "404"} <= set(op["responses"]), (method, path)
            content = op["responses"][ok[0]]["content"]
            assert any("schema" in c for c in content.values()) or \
                "application/octet-stream" in content, (method, path)
            if (method.lower(), path) in WITH_BODY:
                body = op["requestBody"]["content"]["application/json"]["schema"]
                assert "$ref" in body, (method, path)
    assert checked >= 20
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearer": []}]


def test_the_concern_schema_says_what_is_required(client):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    create = schemas["ConcernCreate"]
    assert set(create["required"]) == {"pupil_ids", "occurred_at", "fact"}
    assert create["additionalProperties"] is False
    assert schemas["EntryCreate"]["properties"]["kind"]["enum"] == [
        "triage", "action", "action_done", "decision", "referral", "outcome", "amendment",
        "note", "closure", "reopened"]
