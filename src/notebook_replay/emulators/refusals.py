"""Requests a service refuses, raised anywhere while a request is read and answered, and
turned into the service's own error shape by its route."""

from __future__ import annotations


class Refused(Exception):
    """A refusal (a 4xx, or a 5xx the service is known to give): `ledger_id` names the
    ledger entry for this behaviour."""

    def __init__(
        self,
        status: int,
        message: str,
        ledger_id: str,
        param: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.ledger_id = ledger_id
        self.param = param


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def is_integer(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


TYPE_NAMES = {
    "number": ("a decimal", is_number),
    "integer": ("an integer", is_integer),
    "boolean": ("a boolean", lambda v: isinstance(v, bool)),
    "string": ("a string", lambda v: isinstance(v, str)),
    "array": ("an array", lambda v: isinstance(v, list)),
    "object": ("an object", lambda v: isinstance(v, dict)),
}


def wrong_type(body: dict, fields: dict[str, str | tuple[str, ...]]) -> tuple[str, str] | None:
    """(field, what it should be) for the first field present with a wrong JSON type."""
    for name, kinds in fields.items():
        if name not in body or body[name] is None:
            continue
        kinds = (kinds,) if isinstance(kinds, str) else kinds
        if not any(TYPE_NAMES[k][1](body[name]) for k in kinds):
            return name, " or ".join(TYPE_NAMES[k][0] for k in kinds)
    return None


# What reading a message or tool definition of an unexpected shape raises.
READ_ERRORS = (AttributeError, KeyError, TypeError, ValueError)


def unreadable(problem: Exception, ledger_id: str) -> Refused:
    """The 400 for a request whose messages or tools could not be read (one of READ_ERRORS)."""
    return Refused(
        400,
        f"The request could not be read: {type(problem).__name__} in a message or tool "
        "definition (check their JSON shapes).",
        ledger_id,
    )


def record_problem(request, service: str, model: str, prompt: str, problem) -> str:
    """Append a reply-script problem to app.state.problems; return the error message."""
    from .replies import PROBLEM_PREFIX

    request.app.state.problems.append(
        {
            "kind": problem.kind,
            "service": service,
            "model": model,
            "prompt": prompt,
            "detail": problem.detail,
        }
    )
    return PROBLEM_PREFIX + problem.detail
