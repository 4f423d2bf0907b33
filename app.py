"""YouTube Study Buddy API: every Chalice decorator, and nothing but parsing,
calling chalicelib and shaping the response. See docs/ARCHITECTURE.md.
"""
from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from chalice import CognitoUserPoolAuthorizer, Rate, Response

from chalicelib import lazy
from chalicelib.http import limits, replies
from chalicelib.http.threadsafe import ThreadSafeChalice

# Loaded on first use: importing app.py is what every cold start of every function
# pays, and each function needs only some of these (docs/ARCHITECTURE.md, "Cold
# starts"). The TYPE_CHECKING block names the same modules for readers and IDEs.
if TYPE_CHECKING:
    from chalicelib.accounts import tokens, users
    from chalicelib.api import auth, courses, credits, notes, profile, reviews, videos
    from chalicelib.api import search as lectures_search
    from chalicelib.core import config, db, guard, observability
    from chalicelib.http import cors, openapi, validation
    from chalicelib.payments import sandbox
    from chalicelib.processing import cleanup as stuck_jobs
    from chalicelib.processing import handlers
    from chalicelib.videos import submissions
else:  # one name per line, each the module the block above imports under that name
    tokens = lazy("accounts.tokens")
    users = lazy("accounts.users")
    auth = lazy("api.auth")
    courses = lazy("api.courses")
    credits = lazy("api.credits")
    notes = lazy("api.notes")
    profile = lazy("api.profile")
    reviews = lazy("api.reviews")
    videos = lazy("api.videos")
    lectures_search = lazy("api.search")
    config = lazy("core.config")
    db = lazy("core.db")
    guard = lazy("core.guard")
    observability = lazy("core.observability")
    cors = lazy("http.cors")
    openapi = lazy("http.openapi")
    validation = lazy("http.validation")
    sandbox = lazy("payments.sandbox")
    stuck_jobs = lazy("processing.cleanup")
    handlers = lazy("processing.handlers")
    submissions = lazy("videos.submissions")

app = ThreadSafeChalice(app_name="youtube-study-buddy")

# API Gateway checks tokens before the Lambda runs; the ARN is a deploy-time value
# (set by the deploy script). The app verifies every token itself as well.
authorizer = CognitoUserPoolAuthorizer(
    "StudyBuddyUserPool", header="Authorization",
    provider_arns=[os.environ.get(
        "USER_POOL_ARN", "arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_local")])


def _request() -> Any:
    return app.current_request


def _body() -> Any:
    return validation.parse_json(_request().raw_body)


def _identity() -> tokens.Identity:
    identity = tokens.verify(tokens.bearer_token(_request().headers.get("authorization")))
    users.ensure_user(identity)
    return identity


def _user_id() -> str:
    return _identity().user_id


@app.middleware("http")
def guard_and_cors(event: Any, get_response: Any) -> Response:
    observability.configure()
    guard.check_safe()
    limit = limits.body_limit(event.path, event.method)
    if len(event.raw_body or b"") > limit:
        response = limits.too_large(limit)
    else:
        with observability.context(request_id=(event.context or {}).get("requestId")):
            response = get_response(event)
    for name, value in cors.cors_headers(event.headers.get("origin")).items():
        response.headers.setdefault(name, value)
    return replies.with_newline(response)


# --- health -----------------------------------------------------------------

@app.route("/health")
def health() -> dict:
    return {"status": "ok", "stage": config.stage(), "version": config.version()}


@app.route("/openapi.json")
def openapi_document() -> dict:
    return openapi.document()


# --- auth (public) --------------------------------------------------------------

@app.route("/auth/register", methods=["POST"])
def register() -> Response:
    return Response(body=auth.register(_body()), status_code=201)


@app.route("/auth/confirm", methods=["POST"])
def confirm() -> dict:
    return auth.confirm(_body())


@app.route("/auth/login", methods=["POST"])
def login() -> dict:
    return auth.login(_body())


@app.route("/auth/refresh", methods=["POST"])
def refresh() -> dict:
    return auth.refresh(_body())


@app.route("/auth/forgot-password", methods=["POST"])
def forgot_password() -> Response:
    return Response(body=auth.forgot_password(_body()), status_code=202)


@app.route("/auth/reset-password", methods=["POST"])
def reset_password() -> dict:
    return auth.reset_password(_body())


@app.route("/auth/verify", authorizer=authorizer)
def verify() -> dict:
    identity = _identity()
    return {"valid": True, "user_id": identity.user_id, "email": identity.email,
            "expires_at": db.iso_from_epoch(identity.expires_at, millis=False)}


# --- profile -------------------------------------------------------------------

@app.route("/user", authorizer=authorizer)
def get_user() -> dict:
    return profile.get(_user_id())


@app.route("/user", methods=["PUT"], authorizer=authorizer)
def update_user() -> dict:
    user_id = _user_id()
    return profile.update(user_id, _body())


# --- videos --------------------------------------------------------------------

@app.route("/videos", methods=["POST"], authorizer=authorizer)
def submit_video() -> Response:
    user_id = _user_id()
    try:
        return Response(body=videos.submit(user_id, _body()), status_code=202)
    except submissions.AlreadySubmitted as exc:  # 409 with the existing video's id
        return Response(body=exc.body(), status_code=409)


@app.route("/videos", authorizer=authorizer)
def list_videos() -> dict:
    user_id = _user_id()
    return videos.list_videos(user_id, _request().query_params)


@app.route("/videos/{video_id}", authorizer=authorizer)
def get_video(video_id: str) -> dict:
    return videos.get_video(_user_id(), video_id)


@app.route("/videos/{video_id}", methods=["DELETE"], authorizer=authorizer)
def delete_video(video_id: str) -> Response:
    videos.delete(_user_id(), video_id)
    return Response(body="", status_code=204)


# --- notes ---------------------------------------------------------------------

@app.route("/notes", authorizer=authorizer)
def list_notes() -> dict:
    user_id = _user_id()
    return notes.list_notes(user_id, _request().query_params)


# Declared before /notes/{note_id}: a literal path wins over a parameter (API Gateway
# and chalice local alike), so "export" is never taken for a note id.
@app.route("/notes/export", authorizer=authorizer)
def export_notes() -> Response:
    user_id = _user_id()
    body, queued = notes.export_library(user_id, _request().query_params)
    return Response(body=body, status_code=202 if queued else 200)  # 202: the worker builds it


@app.route("/notes/export/{export_id}", authorizer=authorizer)
def export_status(export_id: str) -> dict:
    return notes.export_status(_user_id(), export_id)


@app.route("/categories", authorizer=authorizer)
def list_categories() -> dict:
    user_id = _user_id()
    return notes.categories(user_id, _request().query_params)


@app.route("/notes/{note_id}", authorizer=authorizer)
def get_note(note_id: str) -> dict:
    user_id = _user_id()
    return notes.get_note(user_id, note_id, _request().query_params)


@app.route("/notes/{note_id}/download", authorizer=authorizer)
def download_note(note_id: str) -> dict:
    return notes.download(_user_id(), note_id)


# --- reviews -------------------------------------------------------------------

# Declared before /reviews/{card_id} (as /notes/export is): a literal path wins.
@app.route("/reviews/due", authorizer=authorizer)
def due_cards() -> dict:
    user_id = _user_id()
    return reviews.due(user_id, _request().query_params)


@app.route("/reviews/stats", authorizer=authorizer)
def review_stats() -> dict:
    user_id = _user_id()
    return reviews.stats(user_id, _request().query_params)


@app.route("/reviews/export", authorizer=authorizer)
def export_reviews() -> dict:
    user_id = _user_id()
    return reviews.export(user_id, _request().query_params)


@app.route("/reviews/{card_id}", methods=["POST"], authorizer=authorizer)
def review_card(card_id: str) -> dict:
    user_id = _user_id()
    return reviews.review(user_id, card_id, _body())


# --- search and questions across a student's lectures ----------------------------

@app.route("/search", authorizer=authorizer)
def search_lectures() -> dict:
    user_id = _user_id()
    return lectures_search.search(user_id, _request().query_params)


@app.route("/ask", methods=["POST"], authorizer=authorizer)
def ask_lectures() -> dict:
    user_id = _user_id()
    return dict(lectures_search.ask(user_id, _body()))


# --- courses -------------------------------------------------------------------

@app.route("/courses", methods=["POST"], authorizer=authorizer)
def create_course() -> Response:
    user_id = _user_id()
    return Response(body=courses.create(user_id, _body()), status_code=202)


@app.route("/courses", authorizer=authorizer)
def list_courses() -> dict:
    user_id = _user_id()
    return courses.list_courses(user_id, _request().query_params)


@app.route("/courses/{course_id}", authorizer=authorizer)
def get_course(course_id: str) -> dict:
    return courses.get_course(_user_id(), course_id)


@app.route("/courses/{course_id}", methods=["DELETE"], authorizer=authorizer)
def delete_course(course_id: str) -> Response:
    user_id = _user_id()
    courses.delete(user_id, course_id, _request().query_params)
    return Response(body="", status_code=204)


@app.route("/courses/{course_id}/start", methods=["POST"], authorizer=authorizer)
def start_course(course_id: str) -> Response:
    return Response(body=courses.start(_user_id(), course_id), status_code=202)


# --- credits -------------------------------------------------------------------

@app.route("/credits", authorizer=authorizer)
def get_credits() -> dict:
    user_id = _user_id()
    return credits.balance(user_id)


@app.route("/credits/history", authorizer=authorizer)
def credit_history() -> dict:
    user_id = _user_id()
    return credits.transactions(user_id, _request().query_params)


# --- payments ------------------------------------------------------------------

@app.route("/credits/checkout", methods=["POST"], authorizer=authorizer)
def credits_checkout() -> Response:
    user_id = _user_id()
    return Response(body=credits.checkout(user_id, _body()), status_code=201)


@app.route("/credits/purchase", methods=["POST"], authorizer=authorizer)
def credits_purchase() -> Response:
    user_id = _user_id()
    return Response(body=credits.purchase(user_id, _body()), status_code=201)


# Public: Stripe proves itself with the Stripe-Signature header over the raw body.
@app.route("/webhooks/stripe", methods=["POST"])
def stripe_webhook() -> dict:
    request = _request()
    return credits.stripe_event(request.raw_body, request.headers.get("stripe-signature"))


# The local payments sandbox (chalicelib/payments/sandbox.py): 404 outside it.
@app.route("/sandbox/checkout/{session_id}")
def sandbox_checkout_page(session_id: str) -> Response:
    return Response(body=sandbox.checkout_page(session_id), headers=sandbox.PAGE_HEADERS)


@app.route("/sandbox/checkout/{session_id}/pay", methods=["POST"],
           content_types=["application/x-www-form-urlencoded", "application/json",
                          "text/plain", "multipart/form-data"])
def sandbox_checkout_pay(session_id: str) -> Response:
    session = credits.sandbox_pay(session_id)  # verified and credited as Stripe's would be
    return Response(body=sandbox.paid_page(session), headers=sandbox.PAGE_HEADERS)


# --- processing (SQS worker, dead letters, cleanup) ---------------------------------
# Queue names are deploy-time values, like the user pool ARN above.

@app.on_sqs_message(queue=os.environ.get("VIDEO_QUEUE_NAME", "study-buddy-dev-videos"),
                    batch_size=1,
                    maximum_concurrency=int(os.environ.get("PROCESSOR_MAX_CONCURRENCY", "5")))
def process_video(event: Any) -> None:
    guard.check_safe()  # every entry point, not only HTTP (docs/DESIGN.md section 9)
    for record in event:
        receive_count = int(record.to_dict().get("attributes", {})
                            .get("ApproximateReceiveCount", 1))
        handlers.handle_message(record.body, record.receipt_handle, receive_count)


@app.on_sqs_message(queue=os.environ.get("DEAD_LETTER_QUEUE_NAME",
                                         "study-buddy-dev-videos-dlq"), batch_size=1)
def dead_letter(event: Any) -> None:
    guard.check_safe()
    for record in event:
        handlers.handle_dead_letter(record.body)


@app.schedule(Rate(10, unit=Rate.MINUTES))
def cleanup(event: Any) -> None:
    guard.check_safe()
    stuck_jobs.cleanup()


# --- CORS preflight: one OPTIONS view per path, answering the configured origins --

def _preflight(**_path_params: str) -> Response:
    request = _request()
    methods = app.routes[request.context["resourcePath"]].keys()
    return cors.preflight(request.headers.get("origin"), methods)


for _path in list(app.routes):
    app.route(_path, methods=["OPTIONS"], name="preflight" + re.sub(r"\W", "_", _path))(
        _preflight)
