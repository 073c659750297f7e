"""The exceptions lookalike raises: one root, small named subclasses.

Where it helps callers, a subclass also inherits the matching builtin, so that code written
against plain Python errors keeps working.
"""

from __future__ import annotations


class LookalikeError(Exception):
    """Root of every error lookalike raises on purpose."""


class NotFittedError(LookalikeError, ValueError):
    """A model was used before `fit`."""


class InvalidDataError(LookalikeError, ValueError):
    """The data cannot be synthesised as it is (empty, too few distinct rows, ...)."""


class UnknownColumnError(LookalikeError, KeyError):
    """An option names a column the table does not have."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class UnsupportedTypeError(LookalikeError, TypeError):
    """A column's type is one lookalike cannot model."""


class InvalidOptionError(LookalikeError, ValueError):
    """A parameter or per-column option has a value outside what is allowed."""


class ReadError(LookalikeError, OSError):
    """An input file is missing, unreadable, or not a format lookalike reads."""


class ModelFileError(LookalikeError, ValueError):
    """A saved model file is not one lookalike wrote, or comes from an incompatible version."""


class ConfigError(InvalidOptionError):
    """A GENERATE_SYNTHETIC_DATA configuration is malformed, or does not fit the database."""


class NotYetSupportedError(LookalikeError, NotImplementedError):
    """An option is valid but lookalike does not implement it yet."""
