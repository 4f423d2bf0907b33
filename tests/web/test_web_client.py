"""The web client's hosting: web/serve.py (local) and the optional static site in
infra/template.yaml (AWS). The client itself is tested in a browser (tests/browser)."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

from infra.template import load_template
from tests.infra.test_template import resolver

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template()
WEB_RESOURCES = ("WebBucket", "WebOriginAccessControl", "WebSecurityHeaders", "WebDistribution",
                 "WebBucketPolicy")


def _serve_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("web_serve", ROOT / "web" / "serve.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    serve = _serve_module()
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>index</title>")
    (dist / "assets" / "app-1234.js").write_text("console.log(1)")
    (tmp_path / "secret.txt").write_text("outside")
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps({"ApiUrl": "http://127.0.0.1:8123"}))
    httpd = serve.make_server("127.0.0.1", 0, serve.Settings(dist, None, outputs))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", outputs
    finally:
        httpd.shutdown()
        httpd.server_close()


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def test_config_follows_the_stack_outputs(server: tuple[str, Path]) -> None:
    base, outputs = server
    status, headers, body = get(f"{base}/config.json")
    assert status == 200 and json.loads(body) == {"apiUrl": "http://127.0.0.1:8123"}
    assert headers["Cache-Control"] == "no-cache"
    assert "connect-src 'self' http://127.0.0.1:8123" in headers["Content-Security-Policy"]
    outputs.write_text(json.dumps({"ApiUrl": "http://127.0.0.1:9999/"}))  # a restarted stack
    assert json.loads(get(f"{base}/config.json")[2]) == {"apiUrl": "http://127.0.0.1:9999"}
    outputs.unlink()
    assert json.loads(get(f"{base}/config.json")[2]) == {"apiUrl": "http://127.0.0.1:8000"}


def test_routes_get_index_assets_are_cached_and_nothing_outside_is_served(server) -> None:
    base, _ = server
    for path in ("/", "/notes/abc", "/credits?checkout=success", "/library"):
        status, headers, body = get(base + path)
        assert status == 200 and b"<title>index</title>" in body, path
        assert "script-src 'self'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
    status, headers, body = get(f"{base}/assets/app-1234.js")
    assert status == 200 and body == b"console.log(1)"
    assert "immutable" in headers["Cache-Control"]
    assert get(f"{base}/assets/missing.js")[0] == 404
    for path in ("/../secret.txt", "/%2e%2e/secret.txt", "/assets/../../secret.txt"):
        status, _, body = get(base + path)
        assert b"outside" not in body, path


def test_the_static_site_is_optional() -> None:
    off, on = resolver("prod"), resolver("prod", WebClient="true")
    for logical_id in WEB_RESOURCES:
        resource = TEMPLATE["Resources"][logical_id]
        assert not off.is_enabled(resource) and on.is_enabled(resource), logical_id
    for key in ("WebBucketName", "WebDistributionId", "WebUrl"):
        assert TEMPLATE["Outputs"][key]["Condition"] == "HasWebClient"
    assert TEMPLATE["Parameters"]["WebClient"]["Default"] == "false"


def test_only_cloudfront_reads_the_private_bucket_and_routes_fall_back_to_index() -> None:
    on = resolver("prod", WebClient="true")
    bucket = on.resolve(TEMPLATE["Resources"]["WebBucket"]["Properties"])
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    policy = on.resolve(TEMPLATE["Resources"]["WebBucketPolicy"]["Properties"])["PolicyDocument"]
    allow = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert len(allow) == 1 and allow[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow[0]["Action"] == "s3:GetObject"
    assert "distribution/" in allow[0]["Condition"]["StringEquals"]["AWS:SourceArn"]
    config = on.resolve(TEMPLATE["Resources"]["WebDistribution"]["Properties"])["DistributionConfig"]
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert {(e["ErrorCode"], e["ResponsePagePath"]) for e in config["CustomErrorResponses"]} == {
        (403, "/index.html"), (404, "/index.html")}
    headers = on.resolve(TEMPLATE["Resources"]["WebSecurityHeaders"]["Properties"])
    csp = headers["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]["ContentSecurityPolicy"]
    assert "script-src 'self'" in csp["ContentSecurityPolicy"]


def _deploy_module():
    import importlib.util

    spec = importlib.util.spec_from_file_location("web_deploy", ROOT / "web" / "deploy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FakeSession:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs, self.calls = outputs, []

    def client(self, name: str):
        session = self

        class Client:
            def __getattr__(self, operation: str):
                def call(**kwargs):
                    session.calls.append((name, operation, kwargs))
                    if operation == "describe_stacks":
                        return {"Stacks": [{"Outputs": [
                            {"OutputKey": k, "OutputValue": v} for k, v in session.outputs.items()]}]}
                    return {}
                return call
        return Client()


def test_deploy_uploads_assets_before_the_entry_files(tmp_path: Path, capsys) -> None:
    deploy = _deploy_module()
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html>")
    (dist / "assets" / "app-1.js").write_text("x")
    (dist / ".built").write_text("")
    session = FakeSession({"WebBucketName": "web-bucket", "WebDistributionId": "E123",
                           "WebUrl": "https://d1.cloudfront.net", "AllowedOrigins": "http://localhost:3000"})
    assert deploy.deploy("dev", dist=dist, api_url="https://abc.execute-api.us-east-1.amazonaws.com/api/",
                         session=session) == 0
    puts = [kwargs for name, op, kwargs in session.calls if op == "put_object"]
    assert [p["Key"] for p in puts] == ["assets/app-1.js", "index.html", "config.json"]
    assert puts[0]["CacheControl"].endswith("immutable") and puts[1]["CacheControl"] == "no-cache"
    assert json.loads(puts[2]["Body"]) == {"apiUrl": "https://abc.execute-api.us-east-1.amazonaws.com/api"}
    assert puts[1]["ContentType"] == "text/html; charset=utf-8"
    invalidation = next(k for n, op, k in session.calls if op == "create_invalidation")
    assert invalidation["DistributionId"] == "E123"
    assert "not in AllowedOrigins" in capsys.readouterr().err


def test_deploy_skips_a_stack_without_the_web_client(tmp_path: Path, capsys) -> None:
    deploy = _deploy_module()
    session = FakeSession({"NotesBucketName": "notes"})
    assert deploy.deploy("dev", dist=tmp_path, api_url=None, session=session) == 0
    assert "skipped" in capsys.readouterr().out
    assert all(op == "describe_stacks" for _, op, _ in session.calls)
