"""Bot API error responses, spelled exactly the way Telegram spells them."""

from __future__ import annotations

from typing import Any


class TelegramError(Exception):
    """An error the emulator answers with instead of a result.

    Method implementations raise it; the HTTP layer turns it into
    ``{"ok": false, "error_code": ..., "description": ...}`` with the same HTTP status,
    which is what aiogram maps onto its ``TelegramBadRequest``/``TelegramForbiddenError``/...
    """

    def __init__(
        self, error_code: int, description: str, parameters: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{error_code}: {description}")
        self.error_code = error_code
        self.description = description
        self.parameters = parameters

    def to_response(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.error_code,
            "description": self.description,
        }
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(reason: str) -> TelegramError:
    return TelegramError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> TelegramError:
    return TelegramError(403, f"Forbidden: {reason}")


def not_found(reason: str | None = None) -> TelegramError:
    return TelegramError(404, "Not Found" if reason is None else f"Not Found: {reason}")


def conflict(reason: str) -> TelegramError:
    return TelegramError(409, f"Conflict: {reason}")


def migrated(new_chat_id: int) -> TelegramError:
    return TelegramError(
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        {"migrate_to_chat_id": new_chat_id},
    )


def too_many_requests(retry_after: int) -> TelegramError:
    return TelegramError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


def error_from_response(body: dict[str, Any]) -> TelegramError:
    """Build an error from a policy's response dict (``ok`` may be omitted)."""
    code = int(body.get("error_code", 400))
    description = str(body.get("description", "Bad Request"))
    parameters = body.get("parameters")
    return TelegramError(code, description, parameters if isinstance(parameters, dict) else None)
