"""GET /openapi.json: the service's OpenAPI 3.1 document, generated from the JSON Schemas (the
loaded policy's facts schema as the request body, the shipped decision schema as the answer),
so it is never out of step with the policy in force. OpenAPI 3.1 takes JSON Schema 2020-12 as
it is; each schema is put under components/schemas with its `$ref`s rewritten to point there.
"""
from __future__ import annotations

from typing import Any

from ..language.facts import facts_schema
from ..model.policy import Policy
from ..resources import schema as shipped_schema
from ..version import __version__


def _embedded(schema: dict[str, Any], name: str) -> dict[str, Any]:
    """`schema` placed at #/components/schemas/NAME: its own `#...` references follow it there."""
    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key == "$ref" and isinstance(value, str) and value.startswith("#"):
                    out[key] = f"#/components/schemas/{name}{value[1:]}"
                elif key not in ("$schema", "$id"):
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node
    result: dict[str, Any] = walk(schema)
    return result


def _json(ref: str) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*statuses: int) -> dict[str, Any]:
    texts = {400: "The body cannot be read as the endpoint reads it", 401: "No bearer token, or a wrong one",
             408: "The body arrived too slowly", 413: "The body or the batch is over its limit",
             415: "A batch in a media type the service does not read"}
    return {str(s): {"description": texts[s], "content": _json("Error")} for s in statuses}


_POLICY_HEADERS = {name: {"description": f"The {what} of the policy that decided", "schema": {"type": "string"}}
                   for name, what in (("X-Policy-Id", "id"), ("X-Policy-Version", "version"),
                                      ("X-Policy-Sha256", "sha256"))}


def openapi(policy: Policy, authenticated: bool) -> dict[str, Any]:
    """The OpenAPI document of a service deciding by `policy`."""
    ndjson = {"application/x-ndjson": {"schema": {"$ref": "#/components/schemas/Facts"}},
              "application/json": {"schema": {"type": "array", "items": {"$ref": "#/components/schemas/Facts"}}},
              "text/csv": {"schema": {"type": "string"}}}
    as_of = [{"name": "as_of", "in": "query", "required": False, "schema": {"type": "string", "format": "date"},
              "description": "The evaluation date (default: the server's --as-of, else today, UTC)."}]
    doc: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": f"Partner decisions: {policy.title}", "version": __version__,
                 "description": f"Decides partners by policy {policy.id} {policy.version} (sha256 {policy.sha256}); "
                                "a reload changes this document with the policy."},
        "paths": {
            "/v1/decisions": {"post": {
                "summary": "Decide one partner record",
                "parameters": as_of,
                "requestBody": {"required": True, "content": _json("Facts")},
                "responses": {"200": {"description": "The decision, as `evaluate --format jsonl` writes it",
                                      "headers": _POLICY_HEADERS, "content": _json("Decision")},
                              "422": {"description": "The record is invalid: its error record, every problem located",
                                      "headers": _POLICY_HEADERS, "content": _json("Decision")},
                              **_errors(400, 401, 408, 413)}}},
            "/v1/decisions/batch": {"post": {
                "summary": "Decide many partner records: NDJSON, a JSON array or CSV in, NDJSON out, in input order",
                "parameters": as_of,
                "requestBody": {"required": True, "content": ndjson},
                "responses": {"200": {"description": "One line per input record: a decision or an error record",
                                      "content": {"application/x-ndjson": {
                                          "schema": {"$ref": "#/components/schemas/Decision"}}}},
                              **_errors(400, 401, 408, 413, 415)}}},
            "/v1/policy": {"get": {"summary": "The policy in force: id, version, sha256, effective window",
                                   "responses": {"200": {"description": "The policy's identity",
                                                         "content": {"application/json": {}}}}}},
            "/v1/policy/sheet": {"get": {"summary": "The program sheet (Markdown, or HTML with ?format=html)",
                                         "responses": {"200": {"description": "The sheet",
                                                               "content": {"text/markdown": {}, "text/html": {}}}}}},
            "/v1/schemas/{name}": {"get": {
                "summary": "A JSON Schema: the policy language, this policy's facts, or a decision",
                "parameters": [{"name": "name", "in": "path", "required": True,
                                "schema": {"enum": ["policy", "facts", "decision"]}}],
                "responses": {"200": {"description": "The schema", "content": {"application/schema+json": {}}}}}},
            "/health/live": {"get": {"summary": "The process answers", "security": [],
                                     "responses": {"200": {"description": "Alive"}}}},
            "/health/ready": {"get": {"summary": "A policy is loaded: its identity and the last reload's result",
                                      "security": [], "responses": {"200": {"description": "Ready"}}}},
            "/metrics": {"get": {"summary": "Metrics in Prometheus text",
                                 "responses": {"200": {"description": "Metrics", "content": {"text/plain": {}}}}}},
        },
        "components": {"schemas": {
            "Facts": _embedded(facts_schema(policy), "Facts"),
            "Decision": _embedded(shipped_schema("decision"), "Decision"),
            "Error": {"type": "object", "required": ["error"], "properties": {"error": {
                "type": "object", "required": ["status", "message", "findings"],
                "properties": {"status": {"type": "integer"}, "message": {"type": "string"},
                               "findings": {"type": "array", "items": {"type": "object"}}}}}},
        }},
    }
    if authenticated:
        doc["components"]["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc["security"] = [{"bearer": []}]
    return doc
