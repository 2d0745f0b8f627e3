"""Every /api/v1 answer the tests provoke is checked against the OpenAPI document the app serves.

`check_api_responses(app)` hooks into Flask's `request_finished` signal (after every
after-request function, so the check sees the final answer, commit failures included):
an undocumented status or a body that breaks its schema fails the test that sent it.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from flask import Flask, Response, request, request_finished
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from web.api.openapi import openapi_document

API_PREFIX = "/api/v1"
_DOCUMENT_URI = "urn:coaching:openapi"
_CONVERTER = re.compile(r"<(?:[a-z]+:)?([a-z_]+)>")


class ContractBroken(AssertionError):
    """An API answer the OpenAPI document does not describe."""


def _pointer(*parts: str) -> str:
    return "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


@lru_cache(maxsize=1)
def _contract() -> tuple[dict[str, Any], Registry]:
    document = openapi_document(API_PREFIX)
    registry = Registry().with_resource(_DOCUMENT_URI, Resource.from_contents(document, DRAFT202012))
    return document, registry


def operation_path(rule: str) -> str:
    """The OpenAPI path of a Flask rule: /api/v1/requests/<int:request_id> -> /requests/{request_id}."""
    return _CONVERTER.sub(r"{\1}", rule.removeprefix(API_PREFIX))


def check_response(path: str, method: str, status: int, body: Any) -> None:
    """Raise ContractBroken unless `status` is documented for the operation and `body` fits its schema."""
    document, registry = _contract()
    operation = document["paths"].get(path, {}).get(method.lower())
    if operation is None:
        raise ContractBroken(f"{method} {path} is served but not in the OpenAPI document")
    response = operation["responses"].get(str(status))
    if response is None:
        raise ContractBroken(f"{method} {path} answered {status}, which the document does not list")
    location = ("paths", path, method.lower(), "responses", str(status))
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        location = ("components", "responses", name)
        response = document["components"]["responses"][name]
    if "application/json" not in response.get("content", {}):
        return
    schema = {"$ref": f"{_DOCUMENT_URI}#/{_pointer(*location, 'content', 'application/json', 'schema')}"}
    errors = sorted(Draft202012Validator(schema, registry=registry).iter_errors(body), key=lambda e: e.path)
    if errors:
        where = "/".join(str(p) for p in errors[0].absolute_path) or "(body)"
        raise ContractBroken(f"{method} {path} {status}: at {where}: {errors[0].message}")


def check_api_responses(app: Flask) -> None:
    """Validate every API answer of `app` against its OpenAPI document (tests only)."""

    def _check(sender: Flask, response: Response, **_: Any) -> None:
        rule = request.url_rule
        if rule is None or not rule.rule.startswith(API_PREFIX + "/"):
            return  # unknown paths and methods: werkzeug's 404/405 in the error format
        body = response.get_json(silent=True) if response.is_json else None
        if response.is_json and body is None:
            raise ContractBroken(f"{request.method} {rule.rule}: the body is not JSON")
        check_response(operation_path(rule.rule), request.method, response.status_code, body)

    request_finished.connect(_check, app, weak=False)
