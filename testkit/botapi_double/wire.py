"""The Bot API double's wire: recorded calls, error answers, injected faults, request bodies and
the HTTP server and handler."""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import socket
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol

from testkit.botapi_double.limits import _FLOAT_RE, _INT_RE, _NUMERIC_FIELDS, _STRING_FIELDS, JSONDict

# --------------------------------------------------------------------------------------------------
# Public data types
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadedFile:
    """A file part of a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


@dataclass(eq=False)
class Call:
    """One recorded Bot API request, recorded when it arrives (before faults and validation).

    ``status`` and ``response`` are filled in once the double has answered: ``status`` is the HTTP
    status (0 if the connection was dropped) and ``response`` the JSON body sent (``{"ok": ..., ...}``).
    """

    method: str
    params: dict[str, Any]
    time: float
    files: dict[str, UploadedFile] = field(default_factory=dict)
    status: int | None = None
    response: JSONDict | None = None

    @property
    def answered(self) -> bool:
        return self.status is not None

    @property
    def ok(self) -> bool:
        return self.status == HTTPStatus.OK

    @property
    def result(self) -> Any:
        """The ``result`` of a successful answer (e.g. the Message dict of sendMessage), else None."""
        return self.response.get("result") if self.response else None

    def __repr__(self) -> str:
        return f"Call({self.method!r}, {_short(self.params)})"


class _ApiError(Exception):
    """An error answer of the Bot API."""

    def __init__(self, status: int, description: str, parameters: JSONDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSONDict:
        body: JSONDict = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _bad_request(description: str) -> _ApiError:
    return _ApiError(HTTPStatus.BAD_REQUEST, f"Bad Request: {description}")


@dataclass
class _Fault:
    kind: Literal["fail", "rate_limit", "drop", "delay", "page", "hold"]
    status: int = 500
    description: str = ""
    retry_after: int = 0
    seconds: float = 0.0
    chat_id: int | str | None = None  # only calls for this chat (None: any call)
    page: str = ""  # "page": the HTML body sent instead of a JSON answer


def _decode_value(key: str, value: Any) -> Any:
    """Turn one transmitted parameter value into a plain Python value."""
    if not isinstance(value, str) or key in _STRING_FIELDS:
        return value
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except ValueError:
            return value
    if stripped in ("true", "false"):
        return stripped == "true"
    numeric = key in _NUMERIC_FIELDS or key.endswith("_id")
    if numeric and _INT_RE.match(stripped):
        return int(stripped)
    if numeric and _FLOAT_RE.match(stripped):
        return float(stripped)
    return value


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks: list[bytes] = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if size == 0:
                handler.rfile.readline()
                break
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
        return b"".join(chunks)
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""


def _parse_body(content_type: str, body: bytes) -> tuple[dict[str, Any], dict[str, UploadedFile]]:
    params: dict[str, Any] = {}
    files: dict[str, UploadedFile] = {}
    if not body:
        return params, files
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json":
        decoded = json.loads(body.decode("utf-8"))
        if not isinstance(decoded, dict):
            raise _bad_request("JSON body must be an object")
        return decoded, files
    if ctype == "multipart/form-data":
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            payload = part.get_payload(decode=True)
            content = payload if isinstance(payload, bytes) else b""
            filename = part.get_filename()
            if filename is not None:
                files[name] = UploadedFile(filename, part.get_content_type(), content)
            else:
                charset = part.get_content_charset() or "utf-8"
                params[name] = content.decode(charset)
        return params, files
    # application/x-www-form-urlencoded (also the fallback for a missing content type)
    for key, value in urllib.parse.parse_qsl(body.decode("utf-8"), keep_blank_values=True):
        params[key] = value
    return params, files


def _short(value: Any, limit: int = 200) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shutdown_socket(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)


class Answerer(Protocol):
    """What the server hands each connection to (the double): it tracks connections and answers requests."""

    def _register_connection(self, conn: socket.socket) -> None: ...
    def _unregister_connection(self, conn: socket.socket) -> None: ...
    def _handle_http(self, handler: _Handler) -> None: ...


# --------------------------------------------------------------------------------------------------
# HTTP plumbing
# --------------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    double: Answerer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Connections reset by the client (e.g. a cancelled long poll) are normal; stay quiet.
        return


class _Handler(BaseHTTPRequestHandler):
    # Headers and body go out in two send() calls. With Nagle's algorithm on, the body would wait for the
    # client's delayed ACK (about 40 ms on Linux): every Bot API call would take ~45 ms and any bot would
    # top out near 20 updates/s, so the load benchmark would measure the double. TCP_NODELAY instead.
    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"
    server: _Server
    server_version = "BotApiDouble/1.0"

    def setup(self) -> None:
        super().setup()
        self.server.double._register_connection(self.connection)

    def finish(self) -> None:
        try:
            super().finish()
        except OSError:
            pass
        finally:
            self.server.double._unregister_connection(self.connection)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        return

    def do_POST(self) -> None:
        self.server.double._handle_http(self)

    def do_GET(self) -> None:
        self.server.double._handle_http(self)

    def send_json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        self.send_bytes(status, body, "application/json")

    def send_bytes(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
        except OSError:
            self.close_connection = True
