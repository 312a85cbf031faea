"""Domain errors with stable codes.

Hierarchy::

    DomainError                 400  (base; `code` is a stable machine-readable string)
    ├── InvalidInput            422  bad or incomplete input the user can correct
    ├── NotFound                404
    ├── PermissionDenied        403
    ├── NotAuthenticated        401
    ├── Conflict                409  the state of the world forbids the request
    │   └── TransitionNotAllowed 409 a workflow action that the case's status does not allow
    ├── ScheduleUnknown         422  a deadline would run into a year with no published calendar
    ├── RateLimited             429
    │   └── Locked              429  an account locked after repeated wrong passwords
    ├── ServiceBusy             503  too much load to serve the request now; try again shortly
    └── UnsafeConfiguration     500  settings that must not run (never reaches a client:
                                     `serve` refuses to start; its str is one line, zh / en)

Services raise these; one handler in `urbanops.app` maps them to RFC 9457 problem+json.
Messages are in Chinese (the users' language) with an English `detail_en` alongside.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    status: ClassVar[int] = 400
    default_code: ClassVar[str] = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        message_en: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.message_en = message_en or message
        self.code = code or self.default_code
        self.extra = extra or {}


class InvalidInput(DomainError):
    status = 422
    default_code = "invalid_input"


class NotFound(DomainError):
    status = 404
    default_code = "not_found"


class PermissionDenied(DomainError):
    status = 403
    default_code = "permission_denied"


class NotAuthenticated(DomainError):
    status = 401
    default_code = "not_authenticated"


class Conflict(DomainError):
    status = 409
    default_code = "conflict"


class TransitionNotAllowed(Conflict):
    default_code = "transition_not_allowed"


class ScheduleUnknown(DomainError):
    status = 422
    default_code = "calendar_schedule_unknown"


class RateLimited(DomainError):
    status = 429
    default_code = "rate_limited"


class Locked(RateLimited):
    default_code = "account_locked"


class ServiceBusy(DomainError):
    status = 503
    default_code = "service_busy"


class UnsafeConfiguration(DomainError):
    status = 500
    default_code = "unsafe_configuration"

    def __str__(self) -> str:
        return f"{self.message} / {self.message_en}"
