"""Access control for the local app: the start token, session cookies, CSRF and upload size.

A browser proves it was given the URL that ``patalliance app`` printed: its first request
carries ``?token=...``; the answer sets a session cookie (HttpOnly, SameSite=Strict) and every
later request carries that cookie. Anything else gets 403. Tokens are compared with
:func:`hmac.compare_digest`, in constant time. Every POST form carries the session's CSRF token
in a hidden field, checked the same way.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

COOKIE = "patalliance_session"


@dataclass
class Sessions:
    """The start token and the sessions it opened (session id → CSRF token)."""

    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    sessions: dict[str, str] = field(default_factory=dict)

    def token_ok(self, candidate: str | None) -> bool:
        return candidate is not None and hmac.compare_digest(
            candidate.encode("utf-8", "surrogateescape"), self.token.encode()
        )

    def open(self) -> str:
        sid = secrets.token_urlsafe(32)
        self.sessions[sid] = secrets.token_urlsafe(32)
        return sid

    def find(self, candidate: str | None) -> str | None:
        """The session id equal to ``candidate``, compared in constant time with each."""
        if not candidate:
            return None
        found = None
        for sid in self.sessions:
            if hmac.compare_digest(candidate.encode("utf-8", "surrogateescape"), sid.encode()):
                found = sid
        return found

    def csrf(self, sid: str) -> str:
        return self.sessions[sid]


class CsrfError(Exception):
    """A POST without the session's CSRF token."""


class TokenMiddleware:
    """403 unless the request has the start token or a session cookie; 413 for big bodies."""

    def __init__(self, app: ASGIApp, *, sessions: Sessions, max_upload_bytes: int) -> None:
        self.app = app
        self.sessions = sessions
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        sid = self.sessions.find(request.cookies.get(COOKIE))
        new_sid = None
        if sid is None and self.sessions.token_ok(request.query_params.get("token")):
            sid = new_sid = self.sessions.open()
        if sid is None:
            await _deny(403, "Forbidden: open the address that `patalliance app` printed.")(
                scope, receive, send
            )
            return
        if request.method == "POST":
            length = request.headers.get("content-length")
            if length is None or not length.isdigit():
                await _deny(411, "A request body needs a Content-Length.")(scope, receive, send)
                return
            if int(length) > self.max_upload_bytes:
                limit = self.max_upload_bytes // (1024 * 1024)
                message = f"The upload is larger than the limit of {limit} MB (--max-upload-mb)."
                await _deny(413, message)(scope, receive, send)
                return
        scope.setdefault("state", {})["session"] = sid

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_security_headers())
                if new_sid is not None:
                    cookie = f"{COOKIE}={new_sid}; Path=/; HttpOnly; SameSite=Strict"
                    headers.append((b"set-cookie", cookie.encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _security_headers() -> list[tuple[bytes, bytes]]:
    return [
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"x-frame-options", b"SAMEORIGIN"),
    ]


def _deny(status: int, message: str) -> Response:
    return PlainTextResponse(message, status_code=status)


def session_of(request: Request) -> str:
    sid: str = request.state.session
    return sid


async def checked_form(request: Request, sessions: Sessions) -> FormData:
    """The POSTed form, after checking its CSRF token; raises :class:`CsrfError`."""
    form = await request.form(max_files=20, max_fields=2000)
    sent = form.get("csrf")
    expected = sessions.csrf(session_of(request))
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise CsrfError("The form's security token is missing or out of date; reload the page.")
    return form
