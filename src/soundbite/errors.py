"""The errors Soundbite raises on purpose.

Every error carries a message written for the person who caused it. The web layer maps each
class to an HTTP status and the CLI maps it to an exit code, so nothing needs to be caught and
re-worded on the way out.

    SoundbiteError
    ├── InvalidInput            422  the request itself is wrong
    │   ├── FeedError           422  the document is not a podcast feed we can read
    │   ├── MediaError          422  not audio we can decode (empty, truncated, no audio)
    │   └── TranscriptError     422  a transcript file we cannot parse
    ├── TooLarge                413  over a size or duration limit
    ├── FetchError              502  a remote server failed us (HTTP error, timeout, reset)
    │   └── FetchRefused        422  the URL is not allowed
    ├── NotFound                404
    ├── Gone                    410  it existed and was taken down (a hidden clip)
    ├── Conflict                409  the state does not allow it (retrying a running job)
    ├── StorageUnavailable      503  the blob store did not answer, after retries
    ├── StorageMisconfigured    500  the blob store refused us (credentials, bucket)
    ├── AuthRequired            401
    ├── Forbidden               403
    ├── TooManyRequests         429  an abuse limit: try again after `retry_after_s`
    └── ModelError              500  the speech model is missing or corrupt
"""

from __future__ import annotations


class SoundbiteError(Exception):
    status_code = 500
    exit_code = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(SoundbiteError):
    status_code = 422
    exit_code = 2


class FeedError(InvalidInput):
    pass


class MediaError(InvalidInput):
    pass


class TranscriptError(InvalidInput):
    pass


class TooLarge(SoundbiteError):
    status_code = 413
    exit_code = 2


class FetchError(SoundbiteError):
    status_code = 502
    exit_code = 3


class FetchRefused(FetchError):
    status_code = 422
    exit_code = 2


class NotFound(SoundbiteError):
    status_code = 404
    exit_code = 4


class Gone(SoundbiteError):
    """It existed and was removed on purpose (moderation): not merely "not found"."""

    status_code = 410
    exit_code = 4


class Conflict(SoundbiteError):
    status_code = 409
    exit_code = 5


class AuthRequired(SoundbiteError):
    status_code = 401
    exit_code = 6


class Forbidden(SoundbiteError):
    status_code = 403
    exit_code = 6


class TooManyRequests(SoundbiteError):
    """An abuse limit was reached; the web layer sends `retry_after_s` as Retry-After."""

    status_code = 429
    exit_code = 9

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = max(1, retry_after_s)


class ModelError(SoundbiteError):
    status_code = 500
    exit_code = 7


class StorageUnavailable(SoundbiteError):
    """The blob store did not answer (after retries): try again shortly."""

    status_code = 503
    exit_code = 8


class StorageMisconfigured(SoundbiteError):
    """The blob store refused us (credentials, bucket): an operator must fix the settings."""

    status_code = 500
    exit_code = 8
