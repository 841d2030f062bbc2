"""The one dispatcher from a Glue action name to the service method that implements it."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from .. import shapes
from ..errors import (
    ConcurrentModificationException,
    GlueError,
    InternalServiceException,
    UnknownOperationException,
)
from ..services import Services
from ..store.concurrency import is_conflict

log = logging.getLogger("gluelab.api")


class Dispatcher:
    def __init__(self, services: Services):
        self.services = services
        self.operations = services.operations

    def call(self, action: str, request: dict[str, Any]) -> dict[str, Any]:
        method = self.operations.get(action)
        if method is None:
            if shapes.has_operation(action):
                raise UnknownOperationException(f"gluelab does not implement Glue's {action} operation yet.")
            raise UnknownOperationException(f"Unknown operation AWSGlue.{action}.")
        try:
            return method(request)
        except GlueError:
            raise
        except SQLAlchemyError as exc:
            if is_conflict(exc):  # a concurrent writer won a race the service did not retry away
                log.warning("concurrent modification in %s: %s", action, exc.__class__.__name__)
                raise ConcurrentModificationException(
                    f"{action} collided with a concurrent change of the same entity; retry it."
                ) from None
            log.exception("store error in %s", action)
            raise InternalServiceException(
                f"{action} failed: the store is unavailable; nothing was changed."
            ) from None
        except Exception:
            log.exception("unexpected error in %s", action)
            raise InternalServiceException(
                f"{action} failed with an internal error; see the server log."
            ) from None
