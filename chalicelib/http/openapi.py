"""The OpenAPI 3.1 description of the HTTP API (docs/DESIGN.md section 4), served at
GET /openapi.json. A test keeps it in step with app.py's routes, and
schemathesis checks the running stack against it."""
from __future__ import annotations

import functools
from typing import Any

from chalicelib.core import config

STR = {"type": "string"}
INT = {"type": "integer"}
BOOL = {"type": "boolean"}
TIME = {"type": "string", "format": "date-time"}
NULLABLE_STR = {"type": ["string", "null"]}
NULLABLE_INT = {"type": ["integer", "null"]}
CURSOR = {"type": ["string", "null"], "description": "Opaque cursor for the next page; "
          "send it back as last_key with the same filters. Null on the last page."}


def ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def obj(properties: dict[str, Any], required: tuple[Any, ...] = (), **extra: Any) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": list(required), **extra}


def strict(properties: dict[str, Any], required: tuple[Any, ...] = ()) -> dict[str, Any]:
    return obj(properties, required, additionalProperties=False)


RETENTION = {"type": "number", "minimum": 0.7, "maximum": 0.97}
NEW_PER_DAY = {"type": "integer", "minimum": 0, "maximum": 500}
REVIEWS_PER_DAY = {"type": "integer", "minimum": 0, "maximum": 2000}
TIMEZONE = {"type": "string", "maxLength": 64, "description": "An IANA time zone (when a "
            "day starts), such as Europe/Berlin"}

SCHEMAS: dict[str, dict[str, Any]] = {
    "Error": obj({"Code": STR, "Message": STR}, ("Code", "Message")),
    "Health": obj({"status": {"const": "ok"}, "stage": STR, "version": STR},
                  ("status", "stage", "version")),
    "Tokens": obj({"id_token": STR, "access_token": STR, "refresh_token": STR,
                   "expires_in": INT, "token_type": {"const": "Bearer"}},
                  ("id_token", "access_token", "expires_in", "token_type")),
    "Registered": obj({"user_id": STR, "email": STR, "confirmation_required": BOOL,
                       "id_token": STR, "access_token": STR, "refresh_token": STR,
                       "expires_in": INT, "token_type": STR},
                      ("user_id", "email", "confirmation_required")),
    "Preferences": obj({"language": STR, "note_style": {"enum": ["concise", "detailed"]},
                        "include_questions": BOOL, "default_subject": NULLABLE_STR,
                        "desired_retention": RETENTION, "new_cards_per_day": NEW_PER_DAY,
                        "reviews_per_day": REVIEWS_PER_DAY, "timezone": TIMEZONE}),
    "Profile": obj({"user_id": STR, "email": STR, "name": STR, "credits": INT,
                    "preferences": ref("Preferences"), "created_at": TIME,
                    "updated_at": TIME},
                   ("user_id", "email", "name", "credits", "preferences")),
    "Video": obj({
        "video_id": STR, "youtube_video_id": STR, "url": STR, "title": NULLABLE_STR,
        "channel": NULLABLE_STR, "duration_seconds": NULLABLE_INT,
        "status": {"enum": ["queued", "processing", "completed", "failed"]},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "status_message": NULLABLE_STR,
        "error": {"oneOf": [{"type": "null"}, obj({"code": STR, "message": STR},
                                                    ("code", "message"))]},
        "note_id": NULLABLE_STR, "subject": NULLABLE_STR, "credits_charged": INT,
        "created_at": TIME, "updated_at": TIME,
        "completed_at": {"type": ["string", "null"], "format": "date-time"},
        "credits_remaining": INT,
    }, ("video_id", "youtube_video_id", "url", "status", "progress", "credits_charged",
        "created_at")),
    "VideoList": obj({"videos": {"type": "array", "items": ref("Video")}, "count": INT,
                      "last_key": CURSOR}, ("videos", "count", "last_key")),
    "Note": obj({"note_id": STR, "video_id": STR, "title": STR, "category": STR,
                 "tags": {"type": "array", "items": STR},
                 "related": {"type": "array", "items": obj({"note_id": STR, "title": STR})},
                 "content_length": INT, "created_at": TIME, "updated_at": TIME,
                 "content": STR},
                ("note_id", "video_id", "title", "category", "tags", "related")),
    "NoteList": obj({"notes": {"type": "array", "items": ref("Note")}, "count": INT,
                     "last_key": CURSOR}, ("notes", "count", "last_key")),
    "Download": obj({"url": STR, "expires_in": INT, "filename": STR},
                    ("url", "expires_in", "filename")),
    "Export": obj({"url": STR, "expires_in": INT, "filename": STR, "note_count": INT,
                   "format": {"enum": ["obsidian", "anki"]}, "card_count": INT},
                  ("url", "expires_in", "filename", "note_count")),
    "ReviewExport": obj({"url": STR, "expires_in": INT, "filename": STR, "card_count": INT,
                         "review_count": INT},
                        ("url", "expires_in", "filename", "card_count", "review_count")),
    # A library over EXPORT_SYNC_MAX_NOTES notes: built by the worker (202), then polled.
    "ExportJob": obj({"export_id": STR, "status": {"enum": ["building", "ready", "failed"]},
                      "format": {"enum": ["obsidian", "anki"]}, "note_count": INT,
                      "created_at": TIME, "url": STR, "expires_in": INT, "filename": STR,
                      "card_count": INT,
                      "error": obj({"code": STR, "message": STR}, ("code", "message"))},
                     ("export_id", "status", "format", "note_count")),
    "Categories": obj({"categories": {"type": "array", "items": obj(
        {"name": STR, "note_count": INT}, ("name", "note_count"))}, "count": INT},
        ("categories",)),
    "Package": obj({"id": STR, "credits": INT, "amount": INT, "currency": STR,
                    "display_amount": STR}, ("id", "credits", "amount", "currency")),
    "Credits": obj({"credits": INT, "packages": {"type": "array", "items": ref("Package")}},
                   ("credits", "packages")),
    "Transaction": obj({"transaction_id": STR,
                        "type": {"enum": ["signup_bonus", "purchase", "usage", "refund",
                                          "adjustment"]},
                        "amount": INT, "balance_after": INT, "metadata": {"type": "object"},
                        "created_at": TIME},
                       ("transaction_id", "type", "amount", "balance_after", "created_at")),
    "TransactionList": obj({"transactions": {"type": "array", "items": ref("Transaction")},
                            "count": INT, "last_key": CURSOR},
                           ("transactions", "count", "last_key")),
    # docs/DESIGN.md section 12: a card, scheduled by FSRS-6.
    "Card": obj({
        "card_id": STR, "note_id": STR, "note_title": STR, "course_id": STR, "subject": STR,
        "kind": {"enum": ["question", "concept"]}, "front": STR, "back": STR, "quote": STR,
        "url": {"type": "string", "description": "The video at the second the answer is "
                "said"},
        "state": {"enum": ["new", "learning", "review", "relearning"]}, "due": TIME,
        "last_review": {"type": ["string", "null"], "format": "date-time"},
        "reps": INT, "lapses": INT, "stability": {"type": ["number", "null"]},
        "difficulty": {"type": ["number", "null"]},
        "next_intervals": obj({rating: {"type": "integer", "minimum": 0} for rating in
                               ("1", "2", "3", "4")}, ("1", "2", "3", "4"), description=(
            "Seconds until the card would be due if rated so now (1 again, 2 hard, "
            "3 good, 4 easy); non-decreasing")),
    }, ("card_id", "note_id", "note_title", "kind", "front", "back", "quote", "url", "state",
        "due", "reps", "lapses", "next_intervals")),
    "DueCards": obj({"cards": {"type": "array", "items": ref("Card")}, "count": INT,
                     "due_count": INT, "new_count": INT},
                    ("cards", "count", "due_count", "new_count")),
    "ReviewStats": obj({"due_today": INT, "new_today": INT, "reviewed_today": INT,
                        "cards": INT, "retention_30d": {"type": ["number", "null"]},
                        "streak_days": INT},
                       ("due_today", "new_today", "reviewed_today", "cards", "retention_30d",
                        "streak_days")),
    # docs/DESIGN.md section 13: a hit of GET /search, the answer of POST /ask.
    "Hit": obj({"note_id": STR, "title": STR, "category": STR, "text": STR, "quote": STR,
                "start_seconds": {"type": "number", "minimum": 0},
                "url": {"type": "string", "description": "The video at start_seconds"},
                "score": {"type": "number"}, "kind": {"enum": ["item", "passage"]}},
               ("note_id", "title", "category", "text", "quote", "start_seconds", "url",
                "score", "kind")),
    "SearchResults": obj({"results": {"type": "array", "items": ref("Hit")}, "count": INT,
                          "respelled": {"type": "object", "additionalProperties": STR,
                                        "description": "a word of the query no lecture "
                                        "says -> the lectures' word it was read as"}},
                         ("results", "count", "respelled")),
    "Answer": obj({
        "answer": {"type": "string", "description": "Markdown; every sentence ends with "
                   "its [n] markers"},
        "citations": {"type": "array", "items": obj(
            {"n": INT, "note_id": STR, "title": STR, "quote": STR,
             "start_seconds": {"type": "number", "minimum": 0}, "url": STR},
            ("n", "note_id", "title", "quote", "start_seconds", "url"))},
        "covered": {"type": "boolean", "description": "false: the student's lectures do "
                    "not cover the question (no model was asked)"},
        "verified": {"type": "string", "pattern": "^[0-9]+/[0-9]+$", "description":
                     "Citations whose quote was found in their transcript, of all"},
        "generator": STR},
        ("answer", "citations", "covered", "verified", "generator")),
    # docs/DESIGN.md section 14: a course and its lectures in order.
    "Lecture": obj({"position": INT, "youtube_video_id": STR, "title": STR,
                    "duration_seconds": NULLABLE_INT, "status": {"enum": [
                        "pending", "queued", "processing", "completed", "failed",
                        "needs_credits", "needs_upload", "skipped"]},
                    "video_id": STR, "note_id": STR, "message": STR, "credits_charged": INT,
                    "owned": {"type": "boolean", "description": "the student had it when "
                              "the course was made or listed: linked, not paid"}},
                   ("position", "youtube_video_id", "title", "duration_seconds", "status")),
    "Course": obj({"course_id": STR, "title": STR, "source_url": STR, "status": {"enum": [
        "listing", "ready", "running", "completed", "failed"]}, "message": STR,
        "subject": STR, "lecture_count": INT, "completed_count": INT,
        "skipped_count": {"type": "integer", "minimum": 0, "description": "private or "
                          "deleted entries, never made: not among what is left to do"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "duration_seconds": INT, "credits_estimate": INT, "credits_charged": INT,
        "created_at": TIME, "updated_at": TIME, "index_note_id": STR,
        "lectures": {"type": "array", "items": ref("Lecture")}},
        ("course_id", "title", "source_url", "status", "lecture_count", "completed_count",
         "credits_estimate", "credits_charged", "created_at")),
    "CourseList": obj({"courses": {"type": "array", "items": ref("Course")}, "count": INT,
                       "last_key": CURSOR}, ("courses", "count", "last_key")),
    "Checkout": obj({"checkout_url": STR, "session_id": STR}, ("checkout_url", "session_id")),
    "Purchase": obj({"client_secret": STR, "payment_intent_id": STR, "amount": INT,
                     "credits": INT, "package": STR},
                    ("client_secret", "payment_intent_id", "amount", "credits", "package")),
}
EMAIL = {"type": "string", "format": "email", "maxLength": 254}
PASSWORD = {"type": "string", "minLength": 8, "maxLength": 256}
BODIES = {
    "/auth/register": strict({"email": EMAIL, "password": PASSWORD,
                              "name": {"type": "string", "maxLength": 100}},
                             ("email", "password")),
    "/auth/confirm": strict({"email": EMAIL, "code": {"type": "string", "maxLength": 64}},
                            ("email", "code")),
    "/auth/login": strict({"email": EMAIL, "password": {"type": "string", "maxLength": 256}},
                          ("email", "password")),
    "/auth/refresh": strict({"refresh_token": {"type": "string", "maxLength": 8192}},
                            ("refresh_token",)),
    "/auth/forgot-password": strict({"email": EMAIL}, ("email",)),
    "/auth/reset-password": strict({"email": EMAIL, "code": {"type": "string",
                                                             "maxLength": 64},
                                    "password": PASSWORD}, ("email", "code", "password")),
    "/user": strict({"name": {"type": "string", "maxLength": 100},
                     "preferences": strict({
                         "language": {"type": "string", "maxLength": 16},
                         "note_style": {"enum": ["concise", "detailed"]},
                         "include_questions": BOOL,
                         "default_subject": {"type": ["string", "null"], "maxLength": 100},
                         "desired_retention": RETENTION, "new_cards_per_day": NEW_PER_DAY,
                         "reviews_per_day": REVIEWS_PER_DAY,
                         "timezone": TIMEZONE})}),
    "/videos": {**strict({"url": {"type": "string", "maxLength": 2048,
                                  "description": "A YouTube link or an 11-character video id"},
                          "subject": {"type": "string", "maxLength": 100},
                          "languages": {"type": "array", "maxItems": 5,
                                        "items": {"type": "string", "maxLength": 16}},
                          "transcript": {"type": "string", "description":
                                         "Uploaded captions: a WebVTT or SRT file, 2 MiB at most"},
                          "title": {"type": "string", "maxLength": 200, "description":
                                    "The note's title for uploaded captions (only with "
                                    "transcript): the student's, or the file's name "
                                    "(\"week_3-entropy.en.vtt\" reads \"week 3 entropy\"). "
                                    "Control characters are removed and spaces collapsed; "
                                    "Markdown and HTML stay plain text. Empty or absent: "
                                    "YouTube's title if known, else \"Uploaded captions "
                                    "(VIDEO_ID)\". A repeat of another note's title gets "
                                    "a suffix."},
                          "reprocess": BOOL},
                         ("url",)),
                "dependentRequired": {"title": ["transcript"]}},
    "/credits/checkout": strict({"package": {"enum": ["basic", "standard", "premium"]},
                                 "success_url": {"type": "string", "format": "uri"},
                                 "cancel_url": {"type": "string", "format": "uri"}},
                                ("package",)),
    "/credits/purchase": strict({"package": {"enum": ["basic", "standard", "premium"]}},
                                ("package",)),
    "/webhooks/stripe": {"type": "object", "description": "A Stripe event, signed"},
    "/courses": strict({
        "url": {"type": "string", "maxLength": 2048, "description": "A playlist link "
                "(/playlist?list=, watch?v=..&list=.., youtu.be/..?list=) or a list id"},
        "title": {"type": "string", "maxLength": 200},
        "videos": {"type": "array", "minItems": 1, "maxItems": 200,
                   "items": {"type": "string", "maxLength": 2048}},
        "subject": {"type": "string", "maxLength": 100}}),
    "/ask": strict({"question": {"type": "string", "minLength": 1, "maxLength": 500},
                    "subject": {"type": "string", "maxLength": 100},
                    "course_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"},
                    "note_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}},
                   ("question",)),
    "/reviews/{card_id}": strict({
        "rating": {"type": "integer", "minimum": 1, "maximum": 4,
                   "description": "1 again, 2 hard, 3 good, 4 easy"},
        "review_id": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,64}$", "description":
                      "Made by the client once per review; a retry sends the same one and "
                      "counts once"},
        "duration_ms": {"type": ["integer", "null"], "minimum": 0, "maximum": 86_400_000}},
        ("rating", "review_id")),
}
LIMIT = {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                    "maximum": 100, "default": 20}}
LAST_KEY = {"name": "last_key", "in": "query", "schema": {"type": "string", "maxLength": 2048}}


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "string", "maxLength": 64}}


SCOPE = [{"name": "subject", "in": "query", "schema": {"type": "string", "maxLength": 100}},
         {"name": "course_id", "in": "query", "schema": {
             "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}]
SANDBOX_SESSION = {"name": "session_id", "in": "path", "required": True,
                   "schema": {"type": "string", "maxLength": 4096}}
# (method, path): (summary, success status, success schema, extra error codes, params)
OPERATIONS: dict[tuple[str, str], tuple[Any, ...]] = {
    ("GET", "/health"): ("Service health", 200, "Health", (), []),
    ("GET", "/openapi.json"): ("This description", 200, None, (), []),
    ("POST", "/auth/register"): ("Create an account", 201, "Registered", (409, 429), []),
    ("POST", "/auth/confirm"): ("Confirm an account with the emailed code", 200, None,
                                (409, 429), []),
    ("POST", "/auth/login"): ("Sign in", 200, "Tokens", (401, 403, 429), []),
    ("POST", "/auth/refresh"): ("New tokens from a refresh token", 200, "Tokens",
                                (401, 403, 429), []),
    ("POST", "/auth/forgot-password"): ("Email a reset code (same answer for any email)",
                                        202, None, (429,), []),
    ("POST", "/auth/reset-password"): ("Set a new password with the code", 200, None,
                                       (429,), []),
    ("GET", "/auth/verify"): ("Check a token", 200, None, (), []),
    ("GET", "/user"): ("Your profile", 200, "Profile", (), []),
    ("PUT", "/user"): ("Update your name and preferences", 200, "Profile", (), []),
    ("POST", "/videos"): ("Submit a YouTube lecture (reserves one credit)", 202, "Video",
                          (402, 409, 429, 503), []),
    ("GET", "/videos"): ("Your videos, newest first", 200, "VideoList", (), [
        LIMIT, LAST_KEY, {"name": "status", "in": "query", "schema": {
            "enum": ["queued", "processing", "completed", "failed"]}}]),
    ("GET", "/videos/{video_id}"): ("One video and its progress", 200, "Video", (404,),
                                    [_path_param("video_id")]),
    ("DELETE", "/videos/{video_id}"): ("Delete a video and its note; refunds an active one",
                                       204, None, (404, 409), [_path_param("video_id")]),
    ("GET", "/notes"): ("Your notes, newest first (no content)", 200, "NoteList", (), [
        LIMIT, LAST_KEY, {"name": "category", "in": "query",
                          "schema": {"type": "string", "maxLength": 100}}]),
    ("GET", "/notes/export"): ("Export every note as an Obsidian vault (or Anki cards)", 200,
                               "Export", (), [{"name": "format", "in": "query", "schema": {
                                   "enum": ["obsidian", "anki"]}}]),
    ("GET", "/notes/export/{export_id}"): ("A queued export: building, ready (the link) or "
                                           "failed", 200, "ExportJob", (404,),
                                           [_path_param("export_id")]),
    ("GET", "/categories"): ("Your categories with note counts", 200, "Categories", (), []),
    ("GET", "/notes/{note_id}"): ("One note", 200, "Note", (404,), [
        _path_param("note_id"), {"name": "include_content", "in": "query",
                                 "schema": {"type": "boolean"}}]),
    ("GET", "/notes/{note_id}/download"): ("A download link for the note's Markdown", 200,
                                           "Download", (404,), [_path_param("note_id")]),
    ("GET", "/reviews/due"): ("Cards to review now: the most overdue first, then new cards "
                              "up to the day's limit", 200, "DueCards", (), [LIMIT, *SCOPE]),
    ("POST", "/reviews/{card_id}"): (
        "Rate a card (FSRS-6); the same review_id again answers as that review left it",
        200, "Card", (404, 409), [{"name": "card_id", "in": "path", "required": True,
                                   "schema": {"type": "string", "maxLength": 96}}]),
    ("GET", "/reviews/stats"): ("Your review statistics", 200, "ReviewStats", (), SCOPE),
    ("GET", "/reviews/export"): ("Your cards' scheduling and every review, as CSV files in "
                                 "a zip", 200, "ReviewExport", (), []),
    ("GET", "/search"): ("Search your lectures by meaning and words; every hit opens the "
                         "video at its second", 200, "SearchResults", (404,), [
                             {"name": "q", "in": "query", "required": True, "schema": {
                                 "type": "string", "minLength": 1, "maxLength": 500}},
                             {"name": "limit", "in": "query", "schema": {
                                 "type": "integer", "minimum": 1, "maximum": 50,
                                 "default": 10}},
                             *SCOPE, {"name": "note_id", "in": "query", "schema": {
                                 "type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}}]),
    ("POST", "/courses"): ("Make a course of a playlist (listed by the worker) or of a "
                           "list of video links; nothing is charged", 202, "Course", (429,),
                           []),
    ("GET", "/courses"): ("Your courses, newest first (no lectures)", 200, "CourseList", (),
                          [LIMIT, LAST_KEY]),
    ("GET", "/courses/{course_id}"): ("One course: each lecture's status, progress, credits",
                                      200, "Course", (404,), [_path_param("course_id")]),
    ("POST", "/courses/{course_id}/start"): (
        "Start a course: lectures become videos in order, paced", 202, "Course",
        (402, 404, 409), [_path_param("course_id")]),
    ("DELETE", "/courses/{course_id}"): (
        "Delete a course: lectures not started are dropped; notes stay unless keep_notes="
        "false", 204, None, (404, 409), [_path_param("course_id"), {
            "name": "keep_notes", "in": "query", "schema": {"type": "boolean",
                                                            "default": True}}]),
    ("POST", "/ask"): ("Ask a question of your lectures: a cited, checked answer, or "
                       "covered: false", 200, "Answer", (404, 429), []),
    ("GET", "/credits"): ("Your balance and the credit packages", 200, "Credits", (), []),
    ("GET", "/credits/history"): ("Your credit ledger, newest first", 200, "TransactionList",
                                  (), [LIMIT, LAST_KEY]),
    ("POST", "/credits/checkout"): ("Start a Stripe Checkout for a package", 201, "Checkout",
                                    (402, 429, 502, 503), []),
    ("POST", "/credits/purchase"): ("Create a PaymentIntent for a package", 201, "Purchase",
                                    (402, 429, 502, 503), []),
    ("POST", "/webhooks/stripe"): ("Stripe events (signed)", 200, None, (409, 503), [
        {"name": "Stripe-Signature", "in": "header", "required": True,
         "schema": {"type": "string"}}]),
    # The local payments sandbox (chalicelib/payments/sandbox.py): HTML, 404 elsewhere.
    ("GET", "/sandbox/checkout/{session_id}"): (
        "Local payments sandbox: the checkout page (local stage without Stripe keys)", 200,
        None, (404,), [SANDBOX_SESSION]),
    ("POST", "/sandbox/checkout/{session_id}/pay"): (
        "Local payments sandbox: pay (sends the signed webhook Stripe would)", 200, None,
        (404,), [SANDBOX_SESSION]),
}
# Success answers beyond an operation's first: {status: (description, schema)}.
ALSO: dict[tuple[str, str], dict[int, tuple[str, str]]] = {
    ("GET", "/notes/export"): {202: ("A library over the size built at once: queued; "
                                     "poll GET /notes/export/{export_id}", "ExportJob")},
}
PUBLIC = {"/health", "/openapi.json", "/webhooks/stripe", "/sandbox/checkout/{session_id}",
          "/sandbox/checkout/{session_id}/pay"} | {
    path for _, path in OPERATIONS if path.startswith("/auth/") and path != "/auth/verify"}
ERROR_TEXT = {400: "Bad input; the message says what to fix", 401: "Missing or invalid token",
              402: "Not enough credits, or the card was declined", 403: "Not allowed yet",
              404: "Not found (or not yours)", 409: "Conflict", 413: "Body over the limit",
              429: "Too many requests", 502: "The payment provider failed",
              503: "Temporarily unavailable"}


def _operation(method: str, path: str) -> dict[str, Any]:
    summary, status, schema, errors, params = OPERATIONS[(method, path)]
    success: dict[str, Any] = {"description": summary}
    if status != 204:
        success["content"] = {"application/json": {"schema": ref(schema) if schema
                                                    else {"type": "object"}}}
    if path.startswith("/sandbox/"):
        success["content"] = {"text/html": {"schema": STR}}
    codes = {400, *errors}
    if path not in PUBLIC:
        codes.add(401)
    if method in ("POST", "PUT"):
        codes.add(413)
    responses = {str(status): success}
    for also, (description, also_schema) in ALSO.get((method, path), {}).items():
        responses[str(also)] = {"description": description, "content": {
            "application/json": {"schema": ref(also_schema)}}}
    for code in sorted(codes):
        responses[str(code)] = {"description": ERROR_TEXT[code], "content": {
            "application/json": {"schema": ref("Error")}}}
    operation: dict[str, Any] = {"summary": summary, "parameters": params,
                                 "responses": responses,
                                 "operationId": f"{method.lower()}{path}".replace("/", "_")
                                 .replace("{", "").replace("}", "").replace("-", "_")
                                 .replace(".", "_")}
    if path not in PUBLIC:
        operation["security"] = [{"bearer": []}]
    if method in ("POST", "PUT"):
        operation["requestBody"] = {"required": path in ("/videos", "/credits/checkout",
                                                         "/credits/purchase",
                                                         "/reviews/{card_id}", "/ask")
                                    or path.startswith("/auth/") or path == "/webhooks/stripe",
                                    "content": {"application/json": {
                                        "schema": BODIES.get(path, {"type": "object"})}}}
    return operation


@functools.lru_cache(maxsize=4)
def _document(version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for method, path in OPERATIONS:
        paths.setdefault(path, {})[method.lower()] = _operation(method, path)
    return {
        "openapi": "3.1.0",
        "info": {"title": "YouTube Study Buddy API", "version": version,
                 "description": "Turns YouTube lectures into study notes. Errors are "
                                "{Code, Message}; lists are newest first with signed cursors."},
        "paths": paths,
        "components": {"schemas": SCHEMAS, "securitySchemes": {"bearer": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "The Cognito ID token (the bare token is accepted too)"}}},
    }


def document() -> dict[str, Any]:
    return _document(config.version())
