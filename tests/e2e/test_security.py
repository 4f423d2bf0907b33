"""The security suite, over HTTP against the running local stack (issue: proof under
attack): other users' ids, forged tokens, cursors, limits, SSRF-shaped links, CORS,
and no secret, token or transcript text in any log line."""
from __future__ import annotations

import json
import time
import uuid

import pytest
import requests

from testkit import tokens as tokens_util
from testkit.live_stack import Stack

pytestmark = pytest.mark.slow
PASSWORD = "Secur!ty1Pass"
STRIPE_SECRET = "sk_test_never_log_this_51Hx"
WEBHOOK_SECRET = "whsec_never_log_this_too"
TRANSCRIPT_PHRASE = "Boltzmann defined entropy as a constant"


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    stack = Stack(tmp_path_factory.mktemp("security-state"), env={
        "STRIPE_SECRET_KEY": STRIPE_SECRET, "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "ALLOWED_ORIGINS": "https://app.example.org"}).start()
    from infra.local.seed import seed

    outputs = json.loads((stack.state_dir / "outputs.json").read_text())
    seed(outputs)
    yield stack, outputs
    assert stack.stop() == 0


def register(api: str) -> dict:
    email = f"sec-{uuid.uuid4().hex[:8]}@example.com"
    response = requests.post(f"{api}/auth/register", timeout=10,
                             json={"email": email, "password": PASSWORD, "name": "Sec"})
    assert response.status_code == 201, response.text
    body = response.json()
    return {**body, "email": email,
            "headers": {"Authorization": f"Bearer {body['id_token']}"}}


def processed_note(api: str, user: dict) -> tuple[str, str]:
    video = requests.post(f"{api}/videos", headers=user["headers"], timeout=10,
                          json={"url": "https://youtu.be/sbPhysics01"}).json()
    for _ in range(200):
        state = requests.get(f"{api}/videos/{video['video_id']}", headers=user["headers"],
                             timeout=10).json()
        if state["status"] == "completed":
            return video["video_id"], state["note_id"]
        time.sleep(0.05)
    raise AssertionError(f"not processed: {state}")


def test_another_users_ids_are_404_everywhere_and_change_nothing(live):
    stack, _ = live
    owner, stranger = register(stack.api), register(stack.api)
    video_id, note_id = processed_note(stack.api, owner)
    attempts = [("GET", f"/videos/{video_id}"), ("DELETE", f"/videos/{video_id}"),
                ("GET", f"/notes/{note_id}"), ("GET", f"/notes/{note_id}?include_content=true"),
                ("GET", f"/notes/{note_id}/download")]
    for method, path in attempts:
        response = requests.request(method, stack.api + path, headers=stranger["headers"],
                                    timeout=10)
        assert response.status_code == 404, (method, path, response.text)
        assert response.json()["Code"] == "NotFoundError"
    assert requests.get(f"{stack.api}/videos/{video_id}", headers=owner["headers"],
                        timeout=10).json()["status"] == "completed"
    assert requests.get(f"{stack.api}/notes/{note_id}", headers=owner["headers"],
                        timeout=10).status_code == 200
    for path in ("/videos", "/notes", "/credits/history"):
        listed = requests.get(stack.api + path, headers=stranger["headers"], timeout=10).json()
        assert video_id not in json.dumps(listed) and note_id not in json.dumps(listed)


def test_forged_expired_foreign_and_access_tokens_are_401(live):
    stack, outputs = live
    user = register(stack.api)
    pool, client_id, sub = outputs["UserPoolId"], outputs["UserPoolClientId"], user["user_id"]
    good = tokens_util.claims(pool, client_id, sub)
    now = int(time.time())
    bad = {
        "forged": tokens_util.sign(good, key=tokens_util.OTHER_KEY),
        "expired": tokens_util.sign({**good, "exp": now - 60, "iat": now - 3700}),
        "another client": tokens_util.sign({**good, "aud": "some-other-client"}),
        "another pool": tokens_util.sign(tokens_util.claims("us-east-1_elsewhere", client_id,
                                                           sub)),
        "alg none": tokens_util.unsigned(good),
        "access token": requests.post(f"{stack.api}/auth/login", timeout=10, json={
            "email": user["email"], "password": PASSWORD}).json()["access_token"],
        "garbage": "x.y.z",
    }
    assert requests.get(f"{stack.api}/user", timeout=10, headers={
        "Authorization": f"Bearer {tokens_util.sign(good)}"}).status_code == 200
    for name, token in bad.items():
        for path in ("/user", "/videos", "/notes", "/credits"):
            response = requests.get(stack.api + path, timeout=10,
                                    headers={"Authorization": f"Bearer {token}"})
            assert response.status_code == 401, (name, path)


def test_tampered_and_foreign_cursors_are_400(live):
    stack, _ = live
    owner, stranger = register(stack.api), register(stack.api)
    for _ in range(3):
        requests.post(f"{stack.api}/videos", headers=owner["headers"], timeout=10,
                      json={"url": "https://youtu.be/sbBiology01"})
    page = requests.get(f"{stack.api}/credits/history?limit=1", headers=owner["headers"],
                        timeout=10).json()
    cursor = page["last_key"]
    assert cursor
    flipped = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]
    for who, key in ((owner, flipped), (stranger, cursor), (owner, cursor + "x")):
        response = requests.get(f"{stack.api}/credits/history?limit=1&last_key={key}",
                                headers=who["headers"], timeout=10)
        assert response.status_code == 400, response.text


def test_oversized_bodies_are_413_and_overlong_strings_400(live):
    stack, _ = live
    user = register(stack.api)
    # POST /videos alone takes uploaded captions of up to 2 MiB (DESIGN section 4).
    huge = json.dumps({"url": "https://youtu.be/sbPhysics01", "subject": "x" * 3_200_000})
    response = requests.post(f"{stack.api}/videos", data=huge, timeout=10,
                             headers={**user["headers"], "Content-Type": "application/json"})
    assert response.status_code == 413
    response = requests.put(f"{stack.api}/user", data=json.dumps({"name": "x" * 80_000}),
                            timeout=10, headers={**user["headers"],
                                                 "Content-Type": "application/json"})
    assert response.status_code == 413
    for path, method, body in (
            ("/user", "PUT", {"name": "n" * 101}),
            ("/user", "PUT", {"preferences": {"default_subject": "s" * 101}}),
            ("/videos", "POST", {"url": "https://youtu.be/sbPhysics01", "subject": "s" * 101}),
            ("/auth/register", "POST", {"email": "a" * 250 + "@x.org", "password": PASSWORD})):
        response = requests.request(method, stack.api + path, json=body, timeout=10,
                                    headers=user["headers"])
        assert response.status_code == 400, (path, body)
    assert requests.get(f"{stack.api}/credits", headers=user["headers"],
                        timeout=10).json()["credits"] == 3


@pytest.mark.parametrize("link", [
    "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "http://169.254.169.254/watch?v=sbPhysics01",
    "http://[fd00:ec2::254]/watch?v=sbPhysics01",
    "http://metadata.google.internal/watch?v=sbPhysics01",
    "https://youtube.com.attacker.example/watch?v=sbPhysics01",
    "https://www.youtube.com@attacker.example/watch?v=sbPhysics01",
    "https://attacker.example/www.youtube.com/watch?v=sbPhysics01",
    "https://user:pass@www.youtube.com/watch?v=sbPhysics01",
    "https://www.youtube.com:4566/watch?v=sbPhysics01",
    "javascript:alert(document.cookie)//youtu.be/sbPhysics01",
    "file:///etc/passwd",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "https://www.youtu.be.evil/sbPhysics01",
    "http://127.0.0.1:4566/watch?v=sbPhysics01",
])
def test_ssrf_shaped_links_are_refused(live, link):
    stack, _ = live
    user = register(stack.api)
    response = requests.post(f"{stack.api}/videos", headers=user["headers"], timeout=10,
                             json={"url": link})
    assert response.status_code == 400, link
    assert requests.get(f"{stack.api}/videos", headers=user["headers"],
                        timeout=10).json()["count"] == 0


def test_cors_answers_only_the_configured_origins(live):
    stack, _ = live
    for origin, allowed in (("https://app.example.org", True), ("https://evil.example", False),
                            ("https://app.example.org.evil.example", False), ("null", False)):
        preflight = requests.options(f"{stack.api}/videos", timeout=10, headers={
            "Origin": origin, "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization,content-type"})
        simple = requests.get(f"{stack.api}/health", headers={"Origin": origin}, timeout=10)
        for response in (preflight, simple):
            assert (response.headers.get("Access-Control-Allow-Origin") == origin) is allowed
            assert response.headers.get("Access-Control-Allow-Origin") != "*"


def test_no_secret_token_or_transcript_text_in_any_log_line(live):
    stack, _ = live
    user = register(stack.api)
    processed_note(stack.api, user)
    login = requests.post(f"{stack.api}/auth/login", timeout=10,
                          json={"email": user["email"], "password": PASSWORD}).json()
    requests.post(f"{stack.api}/auth/refresh", timeout=10,
                  json={"refresh_token": login["refresh_token"]})
    requests.post(f"{stack.api}/webhooks/stripe", timeout=10, data=b"{}",
                  headers={"Stripe-Signature": "t=1,v1=bad"})
    requests.get(f"{stack.api}/user", timeout=10,
                 headers={"Authorization": "Bearer " + user["id_token"][:-3] + "abc"})
    time.sleep(1)
    logs = "".join(stack.lines)
    assert logs, "the stack logged nothing at all"
    for secret in (user["id_token"], user["access_token"], user["refresh_token"],
                   login["refresh_token"], PASSWORD, STRIPE_SECRET, WEBHOOK_SECRET,
                   TRANSCRIPT_PHRASE, user["id_token"].split(".")[1]):
        assert secret not in logs, f"found in the logs: {secret[:12]}..."
