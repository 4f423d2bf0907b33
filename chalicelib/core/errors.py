"""HTTP errors in Chalice's shape ({"Code", "Message"}).

Chalice turns any ChaliceViewError into a response whose Code is the class
name, so the classes beyond Chalice's own are named for the Code they produce.
"""
from chalice import (  # re-exported: one place to import errors from
    BadRequestError as BadRequestError,
)
from chalice import (
    ChaliceViewError as ChaliceViewError,
)
from chalice import (
    ConflictError as ConflictError,
)
from chalice import (
    ForbiddenError as ForbiddenError,
)
from chalice import (
    NotFoundError as NotFoundError,
)
from chalice import (
    TooManyRequestsError as TooManyRequestsError,
)
from chalice import (
    UnauthorizedError as UnauthorizedError,
)


class PaymentRequired(ChaliceViewError):
    STATUS_CODE = 402


class PayloadTooLargeError(ChaliceViewError):
    STATUS_CODE = 413


class BadGatewayError(ChaliceViewError):
    STATUS_CODE = 502


class ServiceUnavailableError(ChaliceViewError):
    STATUS_CODE = 503


class ReviewAlreadyRecorded(ConflictError):
    """A review_id already recorded with another rating (409): its first answer stands.
    Told apart from a concurrent review's 409 so a client retries only this one."""
