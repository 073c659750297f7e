"""Backends: whatever answers chat messages with text, behind one small interface.

    backend.complete(messages, json_schema=..., temperature=..., max_tokens=..., seed=...) -> str

`hosted` tells whether the answer comes from outside this process (then example rows are faked
before they go into a prompt, unless the caller says otherwise). Two backends: the embedded
model (`lookalike.llm.local.LocalBackend`) and any OpenAI-compatible chat-completions endpoint
(`OpenAIBackend`), such as Ollama, vLLM, llama.cpp's server, OpenAI, or `lookalike llm serve`.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any, Protocol

from lookalike.errors import InvalidOptionError
from lookalike.io.base import url_problem
from lookalike.llm.errors import EndpointError, ModelNotFoundError

ENDPOINT_VARIABLES = ("LOOKALIKE_LLM_ENDPOINT", "OPENAI_BASE_URL")
MODEL_VARIABLES = ("LOOKALIKE_LLM_MODEL",)
KEY_VARIABLES = ("LOOKALIKE_LLM_API_KEY", "OPENAI_API_KEY")
RETRY_STATUSES = (408, 409, 429, 500, 502, 503, 504)
# How to ask for JSON, from most to least constrained; an endpoint that rejects one gets the next.
FORMATS = ("json_schema", "json_object", None)


class Backend(Protocol):
    hosted: bool

    def complete(self, messages: list[dict[str, str]], *, json_schema: dict | None = None,
                 temperature: float = 1.0, max_tokens: int | None = None,
                 seed: int | None = None) -> str:
        """The model's answer to `messages`, constrained to `json_schema` where supported."""


def _environment(names: tuple[str, ...]) -> str | None:
    return next((os.environ[name] for name in names if os.environ.get(name)), None)


def chat_url(endpoint: str) -> str:
    """`http://host:port`, `.../v1` or `.../v1/chat/completions` as the chat-completions URL."""
    url = endpoint.rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise InvalidOptionError(f"endpoint {endpoint!r} is not an http:// or https:// URL")
    problem = url_problem(url)
    if problem:
        raise InvalidOptionError(f"endpoint {endpoint!r} is not a valid URL: {problem}")
    if url.endswith("/chat/completions"):
        return url
    if "/" not in url.split("://", 1)[1]:
        url += "/v1"
    return url + "/chat/completions"


class OpenAIBackend:
    """An OpenAI-compatible chat-completions endpoint over HTTP (standard library only).

    URL, model and key come from the arguments or from $LOOKALIKE_LLM_ENDPOINT (or
    $OPENAI_BASE_URL), $LOOKALIKE_LLM_MODEL and $LOOKALIKE_LLM_API_KEY (or $OPENAI_API_KEY).
    Rate limits and server errors (429, 5xx) and time-outs are retried with exponential backoff,
    honouring Retry-After; `retries` bounds the tries."""

    hosted = True

    def __init__(self, endpoint: str | None = None, model: str | None = None,
                 api_key: str | None = None, *, timeout: float = 300.0, retries: int = 5,
                 backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep) -> None:
        endpoint = endpoint or _environment(ENDPOINT_VARIABLES)
        model = model or _environment(MODEL_VARIABLES)
        if not endpoint:
            raise InvalidOptionError("no endpoint: pass --endpoint URL or set "
                                     "LOOKALIKE_LLM_ENDPOINT")
        if not model:
            raise InvalidOptionError("no model name for the endpoint: pass --model NAME or set "
                                     "LOOKALIKE_LLM_MODEL")
        self.url, self.model = chat_url(endpoint), model
        self.api_key = api_key or _environment(KEY_VARIABLES)
        self.timeout, self.retries, self.backoff, self.sleep = timeout, retries, backoff, sleep
        self._format = 0  # index into FORMATS: lowered once when the endpoint rejects one

    def complete(self, messages: list[dict[str, str]], *, json_schema: dict | None = None,
                 temperature: float = 1.0, max_tokens: int | None = None,
                 seed: int | None = None) -> str:
        body: dict[str, Any] = {"model": self.model, "messages": messages,
                                "temperature": temperature}
        if max_tokens:
            body["max_tokens"] = max_tokens
        if seed is not None:
            body["seed"] = seed
        while True:
            kind = FORMATS[self._format] if json_schema is not None else None
            if kind == "json_schema":
                body["response_format"] = {"type": "json_schema", "json_schema": {
                    "name": "rows", "schema": json_schema, "strict": True}}
            elif kind == "json_object":
                body["response_format"] = {"type": "json_object"}
            else:
                body.pop("response_format", None)
            try:
                answer = self._post(body)
            except _FormatRejected:
                if kind is None:
                    raise
                self._format += 1
                continue
            return _content(answer, self.url)

    def _post(self, body: dict[str, Any]) -> Any:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        for attempt in range(self.retries + 1):
            request = urllib.request.Request(self.url, data=data, headers=headers, method="POST")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return json.loads(response.read())
            except urllib.error.HTTPError as error:
                message = _error_message(error)
                if error.code in RETRY_STATUSES and attempt < self.retries:
                    self.sleep(self._delay(attempt, error.headers.get("Retry-After")))
                    continue
                raise self._http_error(error.code, message) from None
            except TimeoutError as error:
                if attempt < self.retries:
                    self.sleep(self._delay(attempt, None))
                    continue
                raise EndpointError(f"{self.url} did not answer within {self.timeout:g} s, "
                                    f"{attempt + 1} times") from error
            except urllib.error.URLError as error:
                raise EndpointError(
                    f"cannot reach the endpoint {self.url}: {error.reason}; is the server "
                    f"running, and is the URL right (--endpoint or LOOKALIKE_LLM_ENDPOINT)?"
                ) from None
            except json.JSONDecodeError as error:
                raise EndpointError(f"{self.url} answered something that is not JSON: "
                                    f"{error}") from None
        raise AssertionError("unreachable")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        try:
            asked = float(retry_after) if retry_after else 0.0
        except ValueError:
            asked = 0.0
        return min(60.0, max(asked, self.backoff * 2**attempt))

    def _http_error(self, status: int, message: str) -> Exception:
        lowered = message.lower()
        if status == 404 and "model" in lowered:
            return ModelNotFoundError(f"the endpoint {self.url} has no model {self.model!r}: "
                                      f"{message}")
        if status == 400 and ("response_format" in lowered or "json_schema" in lowered):
            return _FormatRejected(message)
        if status in (401, 403):
            return EndpointError(f"the endpoint {self.url} refused the request ({status}): "
                                 f"{message}; check the API key (--api-key or "
                                 f"LOOKALIKE_LLM_API_KEY)")
        if status in RETRY_STATUSES:
            return EndpointError(f"the endpoint {self.url} kept answering {status} "
                                 f"({'rate limited' if status == 429 else message}) after "
                                 f"{self.retries + 1} tries; try again later")
        if status == 404:
            return EndpointError(f"{self.url} does not exist (404): is this an OpenAI-compatible "
                                 f"endpoint? Its URL usually ends in /v1")
        return EndpointError(f"the endpoint {self.url} answered {status}: {message}")


class _FormatRejected(EndpointError):
    """The endpoint does not support the response_format asked for."""


def _error_message(error: urllib.error.HTTPError) -> str:
    try:
        text = error.read().decode(errors="replace")
    except OSError:
        return error.reason or ""
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text.strip()[:300] or str(error.reason)
    inner = data.get("error", data) if isinstance(data, dict) else data
    if isinstance(inner, dict):
        return str(inner.get("message") or inner)[:300]
    return str(inner)[:300]


def _content(answer: Any, url: str) -> str:
    try:
        content = answer["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError):
        raise EndpointError(f"{url} answered without choices[0].message.content: "
                            f"{json.dumps(answer)[:200]}") from None
    return content or ""
