"""HTTP errors in Chalice's shape ({"Code", "Message"}).

Chalice turns any ChaliceViewError into a response whose Code is the class
name, so the classes beyond Chalice's own are named for the Code they produce.
"""
from chalice import (  # noqa: F401  (re-exported: one place to import errors from)
    BadRequestError,
    ChaliceViewError,
    ConflictError,
    ForbiddenError,
    NotFoundError,
    TooManyRequestsError,
    UnauthorizedError,
)


class PaymentRequired(ChaliceViewError):
    STATUS_CODE = 402


class PayloadTooLargeError(ChaliceViewError):
    STATUS_CODE = 413


class BadGatewayError(ChaliceViewError):
    STATUS_CODE = 502


class ServiceUnavailableError(ChaliceViewError):
    STATUS_CODE = 503
