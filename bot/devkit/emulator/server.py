"""The HTTP side: aiohttp routes, Bot API request decoding, responses and request recording."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import web

from .errors import TelegramError, bad_request, error_from_response, not_found
from .methods import MethodTable
from .models import RecordedRequest, UploadedFile
from .policy import PAGE, Policy
from .validation import MethodCall
from .world import World

log = logging.getLogger(__name__)

# Form fields whose values are strings by type even when they look like JSON ("123", "true").
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "parse_mode",
        "name",
        "title",
        "description",
        "short_description",
        "url",
        "callback_query_id",
        "inline_message_id",
        "action",
        "emoji",
        "icon_custom_emoji_id",
        "business_connection_id",
        "message_effect_id",
        "file_id",
        "language_code",
        "secret_token",
        "ip_address",
        "query",
        "first_name",
        "last_name",
        "address",
        "phone_number",
        "start_parameter",
        "payload",
        "currency",
        "sticker",
        "photo",
        "document",
        "video",
        "audio",
        "voice",
        "animation",
        "thumbnail",
        "custom_title",
        "game_short_name",
    }
)

_dumps = partial(json.dumps, ensure_ascii=False)


def decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in STRING_PARAMS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    # A JSON string literal here would be a string field sent quoted; keep it verbatim.
    return value if isinstance(decoded, str) else decoded


async def decode_request(
    request: web.Request,
) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, UploadedFile] = {}
    if request.method == "POST" and request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad_request("can't parse JSON encoded request") from None
            if not isinstance(body, dict):
                raise bad_request("can't parse JSON encoded request")
            raw.update(body)
        else:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    data = value.file.read()
                    files[key] = UploadedFile(key, value.filename, value.content_type, data)
                elif isinstance(value, bytes | bytearray):
                    raw[key] = bytes(value).decode("utf-8", errors="replace")
                else:
                    raw[key] = value
    params = {key: decode_value(key, value) for key, value in raw.items()}
    for key, upload in files.items():
        # A file sent directly in its own field (photo=<file>) rather than via attach://.
        if key in STRING_PARAMS or key == "media":
            params.setdefault(key, upload)
    return params, files


def _alive(request: web.Request) -> bool:
    transport = request.transport
    return transport is not None and not transport.is_closing()


class ApiServer:
    def __init__(self, world: World, methods: MethodTable, policy: Callable[[], Policy]) -> None:
        self.world = world
        self.methods = methods
        self._policy = policy
        self._runner: web.AppRunner | None = None
        self.port: int | None = None
        self.host = "127.0.0.1"
        self.internal_errors: list[BaseException] = []

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self.handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self.handle_file)
        return app

    async def start(self, host: str, port: int) -> int:
        self.world.updates.reopen()
        runner = web.AppRunner(self.build_app(), access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, host, port)
        await site.start()
        self._runner = runner
        self.host = host
        self.port = int(runner.addresses[0][1]) if runner.addresses else port
        return self.port

    async def stop(self) -> None:
        # Held long polls would otherwise keep shutdown waiting for their timeout.
        self.world.updates.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def handle_method(self, request: web.Request) -> web.Response:
        started = time.monotonic()
        requested = request.match_info["method"]
        method = self.methods.canonical(requested) or requested
        tracked = method != "getUpdates"
        world = self.world
        if tracked:
            world.in_flight += 1
            world.touch()
        params: dict[str, Any] = {}
        files: dict[str, UploadedFile] = {}
        try:
            params, files = await decode_request(request)
            body, status = await self._answer(method, params, files, partial(_alive, request))
        except TelegramError as exc:
            body, status = exc.to_response(), exc.error_code
        finally:
            if tracked:
                world.in_flight -= 1
        ok = bool(body.get("ok"))
        if not tracked and not _alive(request):
            # The poller was cancelled; nobody will read this answer, so it never happened.
            return web.json_response(body, status=status, dumps=_dumps)
        world.record_request(
            RecordedRequest(
                index=len(world.requests),
                method=method,
                params=params,
                ok=ok,
                response=body["result"] if ok else body,
                t=started,
                chat_id=self._chat_of(method, params),
                files=files,
                duration=time.monotonic() - started,
            )
        )
        if PAGE in body:
            return web.Response(text=str(body[PAGE]), status=status, content_type="text/html")
        return web.json_response(body, status=status, dumps=_dumps)

    async def _answer(
        self,
        method: str,
        params: dict[str, Any],
        files: dict[str, UploadedFile],
        alive: Callable[[], bool],
    ) -> tuple[dict[str, Any], int]:
        injected = await self._policy().before(method, params)
        if injected is not None and PAGE in injected:
            return injected, int(injected.get("error_code", 502))
        if injected is not None:
            error = error_from_response(injected)
            return error.to_response(), error.error_code
        if self.methods.canonical(method) is None:
            raise not_found("method not found")
        call = MethodCall(self.world, method, params, files, alive)
        try:
            result = await self.methods.handler(method)(call)
        except TelegramError:
            raise
        except Exception as exc:  # an emulator bug must not look like a hung request
            log.exception("emulator failed in %s", method)
            self.internal_errors.append(exc)
            return {
                "ok": False,
                "error_code": 500,
                "description": f"Internal Server Error: {type(exc).__name__}: {exc}",
            }, 500
        return {"ok": True, "result": result}, 200

    def _chat_of(self, method: str, params: Mapping[str, Any]) -> int | None:
        raw = params.get("chat_id")
        if raw is not None:
            chat = self.world.resolve_chat(raw)
            if chat is not None:
                return chat.id
            return raw if isinstance(raw, int) and not isinstance(raw, bool) else None
        if method == "answerCallbackQuery":
            query = self.world.callback_queries.get(str(params.get("callback_query_id")))
            return query.chat_id if query is not None else None
        return None

    async def handle_file(self, request: web.Request) -> web.Response:
        record = self.world.file_paths.get(request.match_info["path"])
        if record is None:
            return web.json_response(not_found().to_response(), status=404, dumps=_dumps)
        content_type = record.mime_type or "application/octet-stream"
        return web.Response(body=record.data, content_type=content_type)
