"""The OpenAPI document of /api/v1/ validates, documents every operation's errors as
problem details, and the docs page is served from the portal's own files."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate
from openapi_spec_validator.versions import consts

pytestmark = pytest.mark.django_db


def test_the_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on an invalid document
    assert consts  # the validator's 3.1 support is what is pinned (openapi-spec-validator 0.9.0)


def test_every_operation_needs_a_key_and_documents_its_problems(client):
    document = client.get("/api/v1/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    assert len(operations) >= 20
    for path, method, operation in operations:
        assert operation.get("security"), f"{method} {path} has no security"
        errors = {code for code in operation["responses"] if code.startswith("4")}
        assert {"401", "403", "404", "429"} <= errors, f"{method} {path}: {errors}"
        for code in errors:
            content = operation["responses"][code]["content"]
            assert list(content) == ["application/problem+json"], f"{method} {path} {code}"


def test_the_docs_page_uses_vendored_assets_only(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "/static/api/swagger-init.js" in html
    assert "http://" not in html and "https://" not in html
    assert "<script>" not in html  # no inline script: the CSP's script-src 'self' holds
