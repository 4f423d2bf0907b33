"""User records and profiles.

A record is created on first sight of a valid token, not at registration,
because users who sign in through a hosted OAuth provider never call
/auth/register. The sign-up bonus comes with it once per real person
(docs/DESIGN.md section 5): only for a verified email (held back until it is),
and never twice for one normalised email (chalicelib.accounts.emails), which a
claim record in the ledger remembers after the account is gone.
"""
from __future__ import annotations

import threading
from typing import Any, Literal, cast

from chalicelib.accounts import emails
from chalicelib.accounts.records import User
from chalicelib.accounts.tokens import Identity
from chalicelib.core import aws, config, db
from chalicelib.ledger import ids, movements

NOTE_STYLES = ("concise", "detailed")
DEFAULT_PREFERENCES: dict[str, Any] = {
    "language": "en",
    "note_style": "detailed",
    "include_questions": True,
    "default_subject": None,
    # Reviews (docs/DESIGN.md section 12): FSRS's desired retention, the daily limits,
    # and the time zone a day starts in (checked by chalicelib.api.profile).
    "desired_retention": 0.9,
    "new_cards_per_day": 20,
    "reviews_per_day": 200,
    "timezone": "UTC",
}
MAX_NAME_LENGTH = 100
MAX_SUBJECT_LENGTH = 100

# Users known to have a record in this container: saves a read per request.
_known: set[str] = set()
_known_lock = threading.Lock()
_MAX_KNOWN = 10_000


def _bonus_claim(identity: Identity) -> str | None:
    """The claim id of this person's sign-up bonus; None without a verified email."""
    person = emails.normalise(identity.email) if identity.email_verified else ""
    return ids.signup_claim(person) if person else None


def _another_account_has(email: str, user_id: str) -> bool:
    """Whether another user record holds this exact email (EmailIndex): accounts
    opened before claim records existed have no claim, but are on the index."""
    page = aws.client("dynamodb").query(
        TableName=config.users_table(), IndexName="EmailIndex",
        KeyConditionExpression="email = :email",
        ExpressionAttributeValues=db.values(email=email), Limit=10)
    return any(db.from_item(item).get("user_id") != user_id for item in page["Items"])


def ensure_user(identity: Identity) -> None:
    if identity.user_id in _known:
        return
    table = config.users_table()
    record = db.get(table, {"user_id": identity.user_id})
    claim = _bonus_claim(identity)
    settled = True
    if record is None:
        if claim is None:
            bonus = "pending"
        elif _another_account_has(identity.email, identity.user_id):
            bonus = "none"
        else:
            bonus = "grant"
        movements.open_account({
            "user_id": identity.user_id,
            "email": identity.email or None,
            "name": identity.name,
            "preferences": {k: v for k, v in DEFAULT_PREFERENCES.items() if v is not None},
        }, claim_id=claim, bonus=bonus)
        settled = bonus != "pending"
    elif record.get("signup_bonus_pending"):
        if claim is not None:
            movements.grant_pending_bonus(
                identity.user_id, claim,
                grant=not _another_account_has(identity.email, identity.user_id))
        else:
            settled = False
    # A held-back bonus is looked at again on the next request, once verified.
    if settled:
        with _known_lock:
            if len(_known) >= _MAX_KNOWN:
                _known.clear()
            _known.add(identity.user_id)


def get_record(user_id: str) -> User:
    record = db.get(config.users_table(), {"user_id": user_id}, consistent=True)
    if record is None:
        # The cache said it existed but it is gone (tables were reset): never 500.
        with _known_lock:
            _known.discard(user_id)
        raise movements.AccountMissing(user_id)
    return cast(User, record)


def preferences(record: User) -> dict[str, Any]:
    return {**DEFAULT_PREFERENCES, **(record.get("preferences") or {})}


def profile(record: User) -> dict[str, Any]:
    return {
        "user_id": record["user_id"],
        "email": record.get("email", ""),
        "name": record.get("name", ""),
        "credits": int(record.get("credits", 0)),
        "preferences": preferences(record),
        "created_at": record.get("created_at"),
        "updated_at": record.get("updated_at"),
    }


def get_profile(user_id: str) -> dict[str, Any]:
    return profile(get_record(user_id))


def update_profile(user_id: str, *, name: str | None = None,
                   preferences: dict[str, Any] | None = None) -> dict[str, Any]:
    """Set the name (when given) and each preference given (None: back to its default),
    as checked by the request layer (chalicelib.api.profile)."""
    sets = ["updated_at = :now"]
    removes: list[str] = []
    names: dict[str, str] = {}
    vals: dict[str, Any] = {"now": db.now_iso()}
    if name is not None:
        vals["name"] = name
        sets.append("#name = :name")
        names["#name"] = "name"
    if preferences:
        names["#prefs"] = "preferences"
        # Per-key updates, so two concurrent edits of different keys both stick.
        for i, (key, value) in enumerate(preferences.items()):
            names[f"#p{i}"] = key
            if value is None:
                removes.append(f"#prefs.#p{i}")
            else:
                sets.append(f"#prefs.#p{i} = :p{i}")
                vals[f"p{i}"] = value
    expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
    response = aws.client("dynamodb").update_item(
        TableName=config.users_table(), Key=db.to_item({"user_id": user_id}),
        UpdateExpression=expression, ExpressionAttributeNames=names,
        ExpressionAttributeValues=db.values(**vals),
        ConditionExpression="attribute_exists(user_id)", ReturnValues="ALL_NEW")
    return profile(cast(User, db.from_item(response["Attributes"])))


# --- daily counts (POST /ask and POST /courses) -------------------------------------

DailyCounter = Literal["ask", "course"]


def count_daily(user_id: str, counter: DailyCounter, day: str, limit: int) -> bool:
    """Count one question (`ask`) or course (`course`) of the student's `day`; False
    (counting nothing) when `limit` are counted already. Each step is conditional, so
    concurrent requests can never pass the limit together: today's count goes up only
    while below it, and a count of another day restarts at one only while it is of
    another day."""
    if limit < 1:
        return False
    table, key = config.users_table(), db.to_item({"user_id": user_id})
    names = {"#day": f"{counter}_day", "#count": f"{counter}_count"}
    for _ in range(3):
        for update, condition, values in (
                ("ADD #count :one", "#day = :day AND #count < :limit",
                 db.values(one=1, day=day, limit=limit)),
                ("SET #day = :day, #count = :one",
                 "attribute_not_exists(#day) OR #day <> :day",
                 db.values(one=1, day=day))):
            try:
                aws.client("dynamodb").update_item(
                    TableName=table, Key=key, UpdateExpression=update,
                    ConditionExpression=f"attribute_exists(user_id) AND ({condition})",
                    ExpressionAttributeNames=names, ExpressionAttributeValues=values)
            except Exception as exc:  # the other case holds, or the limit is reached
                if not aws.is_error(exc, aws.CONDITION_FAILED):
                    raise
                continue
            return True
    return False


def uncount_daily(user_id: str, counter: DailyCounter, day: str) -> None:
    """Give back one count of `day` (what count_daily took for something that was not
    made); nothing once the day has turned or nothing is counted."""
    try:
        aws.client("dynamodb").update_item(
            TableName=config.users_table(), Key=db.to_item({"user_id": user_id}),
            UpdateExpression="ADD #count :minus",
            ConditionExpression="attribute_exists(user_id) AND #day = :day AND #count > :zero",
            ExpressionAttributeNames={"#day": f"{counter}_day", "#count": f"{counter}_count"},
            ExpressionAttributeValues=db.values(minus=-1, day=day, zero=0))
    except Exception as exc:
        if not aws.is_error(exc, aws.CONDITION_FAILED):
            raise


def add_ask_usage(user_id: str, usage: dict[str, int]) -> None:
    """The model tokens of a student's questions, added up on their record (a question
    costs no credit; what it costs us is known per student)."""
    aws.client("dynamodb").update_item(
        TableName=config.users_table(), Key=db.to_item({"user_id": user_id}),
        UpdateExpression="ADD ask_input_tokens :i, ask_output_tokens :o, ask_calls :c",
        ConditionExpression="attribute_exists(user_id)",
        ExpressionAttributeValues=db.values(i=int(usage.get("input_tokens", 0)),
                                            o=int(usage.get("output_tokens", 0)), c=1))
