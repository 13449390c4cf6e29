"""The pages' HTTP side, in-process and without the model (they need none): HTML with a strict
Content-Security-Policy, no token, outside the OpenAPI schema, and files that load only from
this origin with no inline script or style. What they do in a browser is tests/test_chat_page.py.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.routes_pages import STATIC_DIR
from rag.settings import Settings


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    # A read token is configured: the pages must not need it. Without `with`, the
    # lifespan never runs, so the model is not loaded.
    settings = Settings(index_dir=tmp_path_factory.mktemp("pages") / "index", api_read_token="read-secret")
    return TestClient(create_app(settings))


@pytest.mark.parametrize("path", ["/", "/chat", "/documents/x", "/documents/seoul-ai-foundation"])
def test_pages_are_html_under_a_content_security_policy_and_need_no_token(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert '<html lang="ko">' in response.text
    assert client.get("/v1/documents/x").status_code == 401  # while the data behind them does


def test_assets_are_served_from_a_fixed_list_and_nothing_else(client):
    assert client.get("/static/chat.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/chat.css").headers["content-type"].startswith("text/css")
    for path in ("/static/nope.js", "/static/..%2Fapp.py", "/static/chat.html"):
        response = client.get(path)
        assert response.status_code == 404 and response.json()["error"]["code"] == "not_found", path


def test_pages_stay_out_of_the_api_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert not [path for path in paths if not path.startswith(("/v1/", "/healthz", "/readyz", "/metrics"))]


def test_the_pages_load_nothing_from_elsewhere_and_nothing_inline():
    for page in STATIC_DIR.glob("*.html"):
        html = page.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", html), f"{page.name}: inline script"
        assert not re.search(r"<style|<[^>]*\s(?:style|on[a-z]+)=", html), f"{page.name}: inline style or handler"
        for url in re.findall(r'(?:src|href)="([^"]*)"', html):
            assert url.startswith("/") and not url.startswith("//"), f"{page.name}: {url}"
    for script in STATIC_DIR.glob("*.js"):
        source = script.read_text(encoding="utf-8")
        assert "innerHTML" not in source and "localStorage" not in source and "document.cookie" not in source, script
        assert not re.search(r"https?://", source), f"{script.name} names another origin"
