"""Glue's error types, each with the HTTP status AWS answers it with.

Services raise these; the API turns them into ``{"__type": ..., "message": ...}`` bodies, the CLI into one
line on stderr. botocore maps ``__type`` back to ``client.exceptions.<Name>``.
"""

from __future__ import annotations


class GlueError(Exception):
    """Base of every error a caller of gluelab can see."""

    status: int = 400

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    @property
    def code(self) -> str:
        """The Glue error type: the nearest class defined here, so a subclass elsewhere (a more precise
        InvalidInputException, say) still reaches the caller as the type Glue sends."""
        for cls in type(self).__mro__:
            if cls.__module__ == __name__:
                return cls.__name__
        return "InternalServiceException"

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


# -- Glue's modeled exceptions ------------------------------------------------------------
class EntityNotFoundException(GlueError):
    pass


class InvalidInputException(GlueError):
    pass


class AlreadyExistsException(GlueError):
    pass


class ConcurrentModificationException(GlueError):
    pass


class ConcurrentRunsExceededException(GlueError):
    pass


class ResourceNumberLimitExceededException(GlueError):
    pass


class OperationTimeoutException(GlueError):
    pass


class IllegalWorkflowStateException(GlueError):
    pass


class NoScheduleException(GlueError):
    pass


class SchedulerRunningException(GlueError):
    pass


class SchedulerNotRunningException(GlueError):
    pass


class CrawlerRunningException(GlueError):
    pass


class CrawlerNotRunningException(GlueError):
    pass


class CrawlerStoppingException(GlueError):
    pass


class VersionMismatchException(GlueError):
    pass


class AccessDeniedException(GlueError):
    pass


class InternalServiceException(GlueError):
    status = 500


# -- protocol and authentication errors (not Glue-specific; AWS sends them for every JSON service) --
class UnknownOperationException(GlueError):
    pass


class SerializationException(GlueError):
    pass


class RequestEntityTooLargeException(GlueError):
    status = 413


class MissingAuthenticationTokenException(GlueError):
    status = 403


class IncompleteSignatureException(GlueError):
    pass


class UnrecognizedClientException(GlueError):
    status = 403


class InvalidSignatureException(GlueError):
    status = 403


class IllegalSessionStateException(GlueError):
    pass
