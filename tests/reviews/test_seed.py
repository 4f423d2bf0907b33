"""`make seed` leaves the demo user review cards due now (docs/DESIGN.md section 12),
and running it again changes nothing."""
from __future__ import annotations

from infra.local import seed
from tests.conftest import call


def test_seed_leaves_the_demo_user_cards_due_and_runs_twice(client, stack):
    outputs = {**stack, "AwsEndpointUrl": stack["endpoint"]}
    assert "sbBiology01" in seed.seed(outputs)
    login = call(client, "POST", "/auth/login",
                 body={"email": seed.DEMO_EMAIL, "password": seed.DEMO_PASSWORD})
    assert login.status_code == 200, login.json_body
    token = login.json_body["id_token"]
    first = call(client, "GET", "/reviews/due", token=token).json_body
    assert first["due_count"] == seed.REVIEWED_CARDS and first["new_count"] >= 1
    assert [card["state"] for card in first["cards"][:seed.REVIEWED_CARDS]] == \
        ["review"] * seed.REVIEWED_CARDS
    note = call(client, "GET", f"/notes/{first['cards'][0]['note_id']}", token=token)
    assert note.status_code == 200 and note.json_body["category"] == "Biology"
    seed.seed(outputs)
    again = call(client, "GET", "/reviews/due", token=token).json_body
    assert [card["card_id"] for card in again["cards"]] == \
        [card["card_id"] for card in first["cards"]]
    assert (again["due_count"], again["new_count"]) == (first["due_count"], first["new_count"])
