"""Why a request's Alibaba signature was refused, as Alibaba's error codes.

::

    SignatureError                 (code, HTTP status, reason for operators)
     +-- MissingParameter          400  a signature parameter or header is not there
     +-- InvalidParameter          400  the query or a signature parameter is malformed
     +-- IncompleteSignature       400  the signature does not follow the scheme it names
     +-- IllegalTimestamp          400  the date is malformed or more than 15 minutes off
     +-- SignatureDoesNotMatch     400  the signature is not the one the secret makes

Messages are safe to return to the caller: they never hold the secret, the expected
signature or the string to sign (which may hold a plaintext sent in the query).
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "IllegalTimestamp",
    "IncompleteSignature",
    "InvalidParameter",
    "MissingParameter",
    "SignatureDoesNotMatch",
    "SignatureError",
]


class SignatureError(Exception):
    """A signature refused: ``code`` and ``status`` are Alibaba's; ``reason`` is a short code
    for the audit log (``missing-signature``, ``bad-signature``, ``clock-skew``...)."""

    code: ClassVar[str] = "IncompleteSignature"
    status: ClassVar[int] = 400

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.message = message
        self.reason = reason


class MissingParameter(SignatureError):
    """A parameter or header every signed request carries is missing."""

    code = "MissingParameter"

    def __init__(self, name: str) -> None:
        super().__init__(
            f'The input parameter "{name}" that is mandatory for processing this request is '
            "not supplied.",
            f"missing-{name.lower()}",
        )


class InvalidParameter(SignatureError):
    """The query string, the form body or a signature parameter is malformed."""

    code = "InvalidParameter"


class IncompleteSignature(SignatureError):
    """The signature does not follow the scheme it names (or names an unsupported one)."""

    code = "IncompleteSignature"


class IllegalTimestamp(SignatureError):
    """The request's date is malformed, or more than 15 minutes from the server's clock."""

    code = "IllegalTimestamp"


class SignatureDoesNotMatch(SignatureError):
    """The signature is not what the access key's secret makes of the request."""

    code = "SignatureDoesNotMatch"

    def __init__(self) -> None:
        # Alibaba's message ends with the server's string to sign after a colon, and the core
        # SDK splits the message there (without a colon it fails with IndexError). The string
        # to sign is not given: it can hold a plaintext sent in the query.
        super().__init__(
            "Specified signature is not matched with our calculation: check the "
            "AccessKeySecret and how the request is signed.",
            "bad-signature",
        )
