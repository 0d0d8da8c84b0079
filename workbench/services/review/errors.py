"""Named refusals of the review services; routes turn them into form errors or 4xx."""

from __future__ import annotations


class ReviewError(Exception):
    """Base class. `field` names the form field at fault, when there is one."""

    status = 409
    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field


class CaseNotFound(ReviewError):
    status = 404


class NotAllowed(ReviewError):
    """The user's role or scope does not cover this case."""

    status = 403


class CaseClosed(ReviewError):
    pass


class LeaseLost(ReviewError):
    """The user does not hold a live claim on the case (expired, released or taken over)."""


class RuleNotAllowed(ReviewError):
    status = 422
    field = "rule"


class OutcomeNotAllowed(ReviewError):
    status = 422
    field = "outcome"


class InvalidDecision(ReviewError):
    status = 422
