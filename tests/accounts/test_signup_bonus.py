"""The sign-up bonus once per real person (docs/DESIGN.md section 5; issue 13, point 2):
only with a verified email, never twice for one normalised email (case, +tags, Gmail
dots), remembered after the account is deleted.

Accounts open on the first authenticated request, so every check below goes through
the HTTP API with real tokens: the emulator's Cognito, or tokens signed with the
emulator's key for a federated provider's claims.
"""
from __future__ import annotations

import concurrent.futures
import uuid

import pytest

from chalicelib.accounts import emails
from chalicelib.core import aws, config, db
from chalicelib.ledger import ids
from testkit import tokens as tokens_util
from tests.conftest import PASSWORD, call, ledger_total


def mailbox() -> str:
    return f"farmer{uuid.uuid4().hex[:10]}"


def sign_up(client, email: str) -> dict:
    response = call(client, "POST", "/auth/register",
                    body={"email": email, "password": PASSWORD})
    assert response.status_code == 201, response.body
    return response.json_body


def credits(client, user: dict) -> int:
    response = call(client, "GET", "/credits", token=user["id_token"])
    assert response.status_code == 200, response.body
    return response.json_body["credits"]


def bonuses(client, user: dict) -> list[dict]:
    history = call(client, "GET", "/credits/history", token=user["id_token"]).json_body
    return [row for row in history["transactions"] if row["type"] == "signup_bonus"]


def delete_account(stack: dict, user: dict) -> None:
    """What deleting an account removes: the Cognito user and the user record (the
    ledger is append-only and stays)."""
    aws.client("cognito-idp").admin_delete_user(UserPoolId=stack["UserPoolId"],
                                                Username=user["email"])
    aws.client("dynamodb").delete_item(TableName=config.users_table(),
                                       Key=db.to_item({"user_id": user["user_id"]}))


def federated_token(stack: dict, sub: str, email: str, verified) -> str:
    return tokens_util.sign(tokens_util.claims(
        stack["UserPoolId"], stack["UserPoolClientId"], sub, email=email,
        email_verified=verified, identities=[{"providerName": "Google"}]))


def test_five_plus_addressed_accounts_of_one_mailbox_get_one_bonus(client):
    name = mailbox()
    addresses = [f"{name}+{tag}@example.com" for tag in ("a", "b", "c", "d")]
    users = [sign_up(client, address) for address in [f"{name}@example.com", *addresses]]
    assert [credits(client, user) for user in users] == [3, 0, 0, 0, 0]
    assert [len(bonuses(client, user)) for user in users] == [1, 0, 0, 0, 0]
    for user in users:
        total, balance = ledger_total(client, {**user})
        assert total == balance


def test_case_and_gmail_dots_are_one_person(client):
    name = mailbox()
    first = sign_up(client, f"{name[:3]}.{name[3:]}@gmail.com")
    others = [sign_up(client, address) for address in (
        f"{name.upper()}@gmail.com", f"{name}@googlemail.com",
        f"{'.'.join(name)}+notes@gmail.com")]
    assert credits(client, first) == 3
    assert [credits(client, user) for user in others] == [0, 0, 0]


def test_dots_still_matter_outside_gmail(client):
    name = mailbox()
    one = sign_up(client, f"{name[:4]}.{name[4:]}@example.com")
    two = sign_up(client, f"{name}@example.com")
    assert (credits(client, one), credits(client, two)) == (3, 3)


def test_deleting_the_account_and_registering_again_grants_no_second_bonus(client, stack):
    email = f"{mailbox()}@example.com"
    granted = []
    for _ in range(5):
        user = {**sign_up(client, email), "email": email}
        granted.append(credits(client, user))
        assert ledger_total(client, user)[0] == granted[-1]
        delete_account(stack, user)
    assert granted == [3, 0, 0, 0, 0]
    # The record that remembers it holds no address, only its hash.
    claim = db.get(config.transactions_table(),
                   {"transaction_id": ids.signup_claim(email)}, consistent=True)
    assert claim is not None and email not in str(claim)


def test_concurrent_first_requests_of_one_person_grant_one_bonus(client):
    name = mailbox()
    users = [sign_up(client, f"{name}+{i}@example.com") for i in range(8)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        granted = list(pool.map(lambda user: credits(client, user), users))
    assert sorted(granted) == [0] * 7 + [3]


def test_a_federated_unverified_email_gets_the_bonus_once_it_is_verified(client, stack):
    sub, email = str(uuid.uuid4()), f"{mailbox()}@example.com"
    unverified = {"id_token": federated_token(stack, sub, email, False)}
    assert credits(client, unverified) == 0
    assert credits(client, unverified) == 0
    assert bonuses(client, unverified) == []
    verified = {"id_token": federated_token(stack, sub, email, True)}
    assert credits(client, verified) == 3
    assert credits(client, verified) == 3  # once
    assert len(bonuses(client, verified)) == 1
    assert ledger_total(client, verified) == (3, 3)


def test_without_an_email_verified_claim_there_is_no_bonus(client, stack):
    sub = str(uuid.uuid4())
    token = tokens_util.sign(tokens_util.claims(stack["UserPoolId"],
                                                stack["UserPoolClientId"], sub))
    assert credits(client, {"id_token": token}) == 0


def test_a_federated_verified_email_counts_once_with_the_local_account(client, stack):
    name = mailbox()
    native = sign_up(client, f"{name}@example.com")
    assert credits(client, native) == 3
    google = {"id_token": federated_token(stack, str(uuid.uuid4()),
                                          f"{name.upper()}+yt@example.com", True)}
    assert credits(client, google) == 0
    # A different person who signs in with Google gets theirs.
    someone = {"id_token": federated_token(stack, str(uuid.uuid4()),
                                           f"{mailbox()}@example.com", "true")}
    assert credits(client, someone) == 3


def test_an_account_from_before_claims_is_found_on_the_email_index(client, stack):
    """A user record opened before claim records existed (no claim): the EmailIndex
    shows the address has an account, so a second account of it gets no bonus."""
    email = f"{mailbox()}@example.com"
    aws.client("dynamodb").put_item(TableName=config.users_table(), Item=db.to_item({
        "user_id": str(uuid.uuid4()), "email": email, "credits": 3,
        "created_at": db.now_iso()}))
    newcomer = {"id_token": federated_token(stack, str(uuid.uuid4()), email, True)}
    assert credits(client, newcomer) == 0


@pytest.mark.parametrize("address,person", [
    ("Ada@Example.COM", "ada@example.com"),
    ("ada+yt@example.com", "ada@example.com"),
    ("ada+a+b@example.com", "ada@example.com"),
    ("a.d.a@gmail.com", "ada@gmail.com"),
    ("A.D.A+x@GoogleMail.com", "ada@gmail.com"),
    ("a.d.a@example.com", "a.d.a@example.com"),
    ("ａｄａ@example.com", "ada@example.com"),  # full-width letters
    ("ada@example.com.", "ada@example.com"),
    ("+tag@example.com", ""),
    ("no-at-sign", ""),
])
def test_normalised_emails(address, person):
    assert emails.normalise(address) == person


def test_a_held_back_bonus_is_not_granted_if_the_email_has_an_older_account(client, stack):
    email = f"{mailbox()}@example.com"
    sub = str(uuid.uuid4())
    assert credits(client, {"id_token": federated_token(stack, sub, email, False)}) == 0
    aws.client("dynamodb").put_item(TableName=config.users_table(), Item=db.to_item({
        "user_id": str(uuid.uuid4()), "email": email, "credits": 3,
        "created_at": db.now_iso()}))
    verified = {"id_token": federated_token(stack, sub, email, True)}
    assert credits(client, verified) == 0
    assert credits(client, verified) == 0
    record = db.get(config.users_table(), {"user_id": sub}, consistent=True)
    assert "signup_bonus_pending" not in record
