"""lookalike: synthetic tables of the same shape as real ones, with no real person in them."""

__version__ = "0.1.0"

from lookalike.errors import LookalikeError  # noqa: E402
from lookalike.synthesizer import Synthesizer  # noqa: E402
from lookalike.procedure import generate_synthetic_data  # noqa: E402

__all__ = ["LookalikeError", "Synthesizer", "__version__", "generate_synthetic_data"]
