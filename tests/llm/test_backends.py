"""The OpenAI-compatible backend over real HTTP: a scripted server on 127.0.0.1 answers with
rate limits, server errors, unknown models and rejected response formats."""

from __future__ import annotations

import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from lookalike.llm import EndpointError, ModelNotFoundError, OpenAIBackend
from lookalike.llm.backends import chat_url

OK = {"choices": [{"message": {"role": "assistant", "content": '{"rows": []}'}}]}


@pytest.fixture
def server():
    """A server answering each POST with the next (status, body, headers) of `script`."""
    script, seen = [], []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            seen.append({"path": self.path, "auth": self.headers.get("Authorization"),
                         "body": json.loads(self.rfile.read(int(self.headers["Content-Length"])))})
            status, body, headers = script.pop(0)
            data = json.dumps(body).encode()
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", script, seen
    httpd.shutdown()
    httpd.server_close()


def backend(url, **options):
    sleeps = []
    made = OpenAIBackend(url + "/v1", "tiny", "secret", sleep=sleeps.append, **options)
    return made, sleeps


def test_a_request_carries_model_key_and_json_schema(server):
    url, script, seen = server
    script.append((200, OK, {}))
    made, _ = backend(url)
    schema = {"type": "object", "properties": {"rows": {"type": "array"}}}
    assert made.complete([{"role": "user", "content": "hi"}], json_schema=schema,
                         temperature=0.5, seed=3) == '{"rows": []}'
    request = seen[0]
    assert request["path"] == "/v1/chat/completions" and request["auth"] == "Bearer secret"
    assert request["body"]["model"] == "tiny" and request["body"]["seed"] == 3
    assert request["body"]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "rows", "schema": schema, "strict": True}}


def test_rate_limits_and_server_errors_are_retried_with_backoff(server):
    url, script, seen = server
    script += [(429, {"error": {"message": "slow down"}}, {"Retry-After": "7"}),
               (503, {"error": "busy"}, {}), (200, OK, {})]
    made, sleeps = backend(url, backoff=0.5)
    assert made.complete([{"role": "user", "content": "hi"}]) == '{"rows": []}'
    assert sleeps == [7.0, 1.0] and len(seen) == 3


def test_retries_are_bounded(server):
    url, script, _ = server
    script += [(429, {"error": {"message": "slow down"}}, {})] * 3
    made, sleeps = backend(url, retries=2)
    with pytest.raises(EndpointError, match=r"kept answering 429 \(rate limited\) after 3 tries"):
        made.complete([{"role": "user", "content": "hi"}])
    assert len(sleeps) == 2


def test_an_unknown_model_is_named(server):
    url, script, _ = server
    script.append((404, {"error": {"message": "The model `tiny` does not exist",
                                   "code": "model_not_found"}}, {}))
    made, _ = backend(url)
    with pytest.raises(ModelNotFoundError, match=r"has no model 'tiny': The model `tiny` does "
                                                 r"not exist"):
        made.complete([{"role": "user", "content": "hi"}])


def test_an_unsupported_response_format_falls_back(server):
    url, script, seen = server
    script += [(400, {"error": {"message": "response_format json_schema unsupported"}}, {}),
               (200, OK, {}), (200, OK, {})]
    made, _ = backend(url)
    for _ in range(2):
        made.complete([{"role": "user", "content": "hi"}], json_schema={"type": "object"})
    assert [r["body"]["response_format"]["type"] for r in seen] == [
        "json_schema", "json_object", "json_object"]


def test_an_unreachable_endpoint_says_so():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    made = OpenAIBackend(f"http://127.0.0.1:{port}/v1", "tiny")
    with pytest.raises(EndpointError, match=rf"cannot reach the endpoint http://127.0.0.1:{port}"
                                            r"/v1/chat/completions: .*is the server running"):
        made.complete([{"role": "user", "content": "hi"}])


@pytest.mark.parametrize("given, url", [
    ("http://h:1", "http://h:1/v1/chat/completions"),
    ("http://h:1/v1/", "http://h:1/v1/chat/completions"),
    ("https://h/api/v1/chat/completions", "https://h/api/v1/chat/completions"),
])
def test_endpoint_urls(given, url):
    assert chat_url(given) == url


def test_endpoint_and_model_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("LOOKALIKE_LLM_ENDPOINT", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("LOOKALIKE_LLM_MODEL", "m")
    monkeypatch.setenv("OPENAI_API_KEY", "k")
    made = OpenAIBackend()
    assert (made.url, made.model, made.api_key) == ("http://127.0.0.1:9/v1/chat/completions",
                                                    "m", "k")
