"""lookalike: synthetic tables of the same shape as real ones, with no real person in them."""

__version__ = "0.1.0"

from lookalike.errors import LookalikeError
from lookalike.procedure import generate_synthetic_data
from lookalike.synthesizer import Synthesizer

__all__ = ["LookalikeError", "Synthesizer", "__version__", "generate_synthetic_data"]
