"""`lookalike llm serve`: the embedded model behind a small OpenAI-compatible HTTP server.

    POST /v1/chat/completions   messages, model, temperature, max_tokens, seed, and
                                response_format {"type": "json_schema", ...} (flat rows, decoded
                                under the schema) or {"type": "json_object"} or none (free text)
    GET  /v1/models             the one model served

Standard library only (http.server); one request is decoded at a time. It serves loopback by
default: it has no authentication.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lookalike.errors import LookalikeError
from lookalike.llm.local import DEFAULT_MODEL, MODEL_NAMES, LocalBackend


def make_server(host: str = "127.0.0.1", port: int = 8080, *,
                backend: LocalBackend | None = None) -> ThreadingHTTPServer:
    """A server bound to `host`:`port` (0 picks a free port), not yet serving."""
    backend = backend or LocalBackend()

    class Handler(_Handler):
        pass

    Handler.backend = backend
    return ThreadingHTTPServer((host, port), Handler)


def serve(host: str = "127.0.0.1", port: int = 8080, *,
          ready: Callable[[str], None] | None = None) -> None:
    """Load the model, then answer requests until interrupted."""
    backend = LocalBackend()
    _ = backend.model  # load before listening, so the first request is not the slow one
    server = make_server(host, port, backend=backend)
    if ready:
        ready(f"http://{server.server_address[0]}:{server.server_address[1]}/v1")
    try:
        server.serve_forever()
    finally:
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    backend: LocalBackend
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read stderr
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            self._send(200, {"object": "list", "data": [
                {"id": name, "object": "model", "owned_by": "lookalike"} for name in MODEL_NAMES]})
        elif self.path.rstrip("/") in ("", "/health"):
            self._send(200, {"status": "ok"})
        else:
            self._error(404, f"no route {self.path}", "not_found")

    def do_POST(self) -> None:
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._error(404, f"no route {self.path}", "not_found")
            return
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            request = _parse(body)
        except (ValueError, TypeError) as error:
            self._error(400, str(error), "invalid_request_error")
            return
        if request["model"] not in MODEL_NAMES:
            self._error(404, f"The model {request['model']!r} does not exist; this server has "
                             f"{DEFAULT_MODEL!r}", "model_not_found")
            return
        try:
            content = self.backend.complete(
                request["messages"], json_schema=request["schema"],
                temperature=request["temperature"], max_tokens=request["max_tokens"],
                seed=request["seed"])
        except LookalikeError as error:
            self._error(400, str(error), "invalid_request_error")
            return
        self._send(200, {
            "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion",
            "created": int(time.time()), "model": request["model"],
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
        })

    def _send(self, status: int, payload: Any) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, message: str, code: str) -> None:
        self._send(status, {"error": {"message": message, "type": code, "code": code}})


def _parse(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ValueError("the request body must be a JSON object")  # noqa: TRY004 - a 400
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages or not all(
            isinstance(m, dict) and isinstance(m.get("content"), str) for m in messages):
        raise ValueError("messages must be a non-empty list of {role, content} objects")
    response_format = body.get("response_format") or {}
    schema = None
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema")
        if not isinstance(schema, dict):
            raise ValueError("response_format.json_schema.schema must be a JSON schema object")
    elif response_format.get("type") not in (None, "text", "json_object"):
        raise ValueError(f"unsupported response_format type {response_format.get('type')!r}")
    seed = body.get("seed")
    return {"model": str(body.get("model") or DEFAULT_MODEL), "messages": messages,
            "schema": schema, "temperature": float(body.get("temperature", 1.0)),
            "max_tokens": body.get("max_tokens") or body.get("max_completion_tokens"),
            "seed": int(seed) if seed is not None else None}
