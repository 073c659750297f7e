"""Constrained decoding of flat JSON rows, without torch: what token may come next.

A row is written as one line of JSON, `{"A": 1, "B": "x"}`. The keys and punctuation (the
*skeleton*) are written by this code; the model only fills each value, and only with tokens that
keep the value a valid prefix of its column's language (digits for integers, a date pattern,
one of the allowed values, bounded printable text, or null where allowed). So every row the
decoder finishes is valid JSON of the schema's shape, whatever the model would rather say.

A value ends when the model picks a token that starts the following skeleton (`,` or `}`),
possibly glued to a closing quote (`",`), which is how the tokenizer writes JSON it has seen.
"""

from __future__ import annotations

import calendar
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lookalike.errors import InvalidOptionError
from lookalike.llm.schema import TIMESTAMP_PATTERN, UUID_PATTERN

DIGITS = "0123456789"
HEX = "0123456789abcdef"
DEFAULT_TEXT_LENGTH = 40
_DATE = ["12", DIGITS, DIGITS, DIGITS, "-", "01", DIGITS, "-", "0123", DIGITS]
_TIME = ["012", DIGITS, ":", "012345", DIGITS, ":", "012345", DIGITS]
_UUID = [HEX] * 8 + ["-"] + [HEX] * 4 + ["-"] + [HEX] * 4 + ["-"] + [HEX] * 4 + ["-"] + [HEX] * 12


class Vocabulary:
    """The text of every token (None for special and byte tokens), with lookups by text."""

    def __init__(self, texts: list[str | None]) -> None:
        self.texts = texts
        self.ids_by_text: dict[str, list[int]] = {}
        for index, text in enumerate(texts):
            if text:
                self.ids_by_text.setdefault(text, []).append(index)
        self._by_charset: dict[frozenset[str], np.ndarray] = {}
        safe = [bool(t) and t.isascii() and t.isprintable() and '"' not in t and "\\" not in t
                for t in texts]
        self.text_ids = np.flatnonzero(safe)  # tokens that may appear inside free text
        self.text_lengths = np.array([len(texts[i]) for i in self.text_ids])

    def with_charset(self, charset: str) -> np.ndarray:
        """Ids of tokens made only of `charset`'s characters."""
        key = frozenset(charset)
        if key not in self._by_charset:
            self._by_charset[key] = np.array(
                [i for i, t in enumerate(self.texts) if t and key.issuperset(t)], dtype=np.int64)
        return self._by_charset[key]

    def substrings_of(self, literals: list[str]) -> np.ndarray:
        """Ids of tokens whose text occurs inside one of `literals`."""
        found = set()
        for literal in literals:
            for start in range(len(literal)):
                for stop in range(start + 1, len(literal) + 1):
                    found.update(self.ids_by_text.get(literal[start:stop], ()))
        return np.array(sorted(found), dtype=np.int64)


# -- the language of one value, always written after a space: ` 42`, ` "M"`, ` null` -----------

class Machine:
    """Which strings are a valid value (complete) or can still become one (prefix)."""

    def is_prefix(self, text: str) -> bool:
        raise NotImplementedError

    def is_complete(self, text: str) -> bool:
        raise NotImplementedError

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        raise NotImplementedError

    def free_text(self, text: str) -> int | None:
        """Inside free text: how many more characters may come; None elsewhere."""
        return None


@dataclass
class Choice(Machine):
    """One of a few literals (JSON texts of allowed values, true/false, null)."""

    literals: list[str]

    def is_prefix(self, text: str) -> bool:
        return any(literal.startswith(text) for literal in self.literals)

    def is_complete(self, text: str) -> bool:
        return text in self.literals

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        return vocabulary.substrings_of(self.literals)


@dataclass
class Pattern(Machine):
    """A regular language given as two regexes: what may be a prefix, what is complete."""

    prefix: str
    complete: str
    charset: str

    def __post_init__(self) -> None:
        self._prefix, self._complete = re.compile(self.prefix), re.compile(self.complete)

    def is_prefix(self, text: str) -> bool:
        return bool(self._prefix.fullmatch(text))

    def is_complete(self, text: str) -> bool:
        return bool(self._complete.fullmatch(text))

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        return vocabulary.with_charset(self.charset + " ")


@dataclass
class Template(Machine):
    """A fixed-width string, each position from a set of characters (dates, times, uuids);
    `calendar` also keeps months, days, hours, minutes and seconds possible as they are typed."""

    positions: list[str]
    calendar: str | None = None  # "date" (and maybe a time after it) or "time"

    def is_prefix(self, text: str) -> bool:
        full = [" ", '"', *self.positions, '"']
        return len(text) <= len(full) and all(
            c in allowed for c, allowed in zip(text, full)) and (
            not self.calendar or _calendar_prefix(text[2:].rstrip('"'), self.calendar))

    def is_complete(self, text: str) -> bool:
        return len(text) == len(self.positions) + 3 and self.is_prefix(text)

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        return vocabulary.with_charset("".join(self.positions) + ' "')


def _calendar_prefix(text: str, starts_with: str) -> bool:
    """Whether a prefix of `YYYY-MM-DD`, `YYYY-MM-DD HH:MM:SS` or `HH:MM:SS` can still be a real
    date and time (30 February cannot)."""
    date, time = (text[:10], text[11:]) if starts_with == "date" else ("", text)
    if len(date) >= 7 and not 1 <= int(date[5:7]) <= 12:
        return False
    if len(date) >= 9:
        last = calendar.monthrange(int(date[:4]), int(date[5:7]))[1]
        day = int(date[8:10]) if len(date) == 10 else int(date[8]) * 10
        if day > last or (len(date) == 10 and day == 0):
            return False
    return not (len(time) >= 2 and int(time[:2]) > 23)


@dataclass
class Text(Machine):
    """A JSON string of 1 to `max_length` printable ASCII characters."""

    max_length: int

    def is_prefix(self, text: str) -> bool:
        if len(text) < 2:
            return ' "'.startswith(text)
        body = text[2:]
        if body.endswith('"'):
            if len(body) == 1:  # an empty string is not a value
                return False
            body = body[:-1]
        return text[:2] == ' "' and '"' not in body and len(body) <= self.max_length

    def is_complete(self, text: str) -> bool:
        return len(text) >= 4 and text.endswith('"') and self.is_prefix(text)

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        return vocabulary.substrings_of([' "'])

    def free_text(self, text: str) -> int | None:
        if text.startswith(' "') and not (len(text) > 2 and text.endswith('"')):
            return self.max_length - (len(text) - 2)
        return None


@dataclass
class Either(Machine):
    """A value of one machine or another (a value or null)."""

    options: list[Machine]

    def is_prefix(self, text: str) -> bool:
        return any(option.is_prefix(text) for option in self.options)

    def is_complete(self, text: str) -> bool:
        return any(option.is_complete(text) for option in self.options)

    def candidates(self, vocabulary: Vocabulary) -> np.ndarray:
        return np.unique(np.concatenate([o.candidates(vocabulary) for o in self.options]))

    def free_text(self, text: str) -> int | None:
        inside = [o.free_text(text) for o in self.options if o.is_prefix(text)]
        return next((n for n in inside if n is not None), None)


@dataclass
class Bounded(Pattern):
    """An integer pattern that also keeps the number within [low, high] as digits are typed."""

    low: int = 0
    high: int = 0

    def is_prefix(self, text: str) -> bool:
        if not super().is_prefix(text):
            return False
        digits = text.strip().lstrip("-")
        if not digits:
            return True
        value = int(text.strip())  # more digits only move it further from zero
        return value <= self.high if value >= 0 else value >= self.low


def integer_machine(max_digits: int, negative: bool, low: int | None = None,
                    high: int | None = None) -> Pattern:
    sign = "-?" if negative else ""
    low = -(10**max_digits) if low is None else low
    high = 10**max_digits if high is None else high
    return Bounded(prefix=rf"( ({sign}(0|[1-9]\d{{0,{max_digits - 1}}})?)?)?",
                   complete=rf" {sign}(0|[1-9]\d{{0,{max_digits - 1}}})",
                   charset=DIGITS + ("-" if negative else ""), low=low, high=high)


def number_machine(max_digits: int, scale: int) -> Pattern:
    whole = rf"-?(0|[1-9]\d{{0,{max_digits - 1}}})"
    fraction = rf"(\.\d{{0,{scale}}})?" if scale else ""
    return Pattern(prefix=rf"( ({whole}{fraction}|-)?)?",
                   complete=rf" {whole}" + (rf"(\.\d{{1,{scale}}})?" if scale else ""),
                   charset=DIGITS + "-" + ("." if scale else ""))


# -- a row: fields, each a key and the machine of its value -------------------------------------

@dataclass(frozen=True)
class Field:
    name: str
    machine: Machine


@dataclass
class RowPlan:
    """The fields of a row, and the skeleton text before and after each value."""

    fields: list[Field]
    rows: int = 1
    wrapped: bool = True  # the answer is {"rows": [...]}, not a single object
    skeletons: list[str] = field(init=False)

    def __post_init__(self) -> None:
        if not self.fields:
            raise InvalidOptionError("a row needs at least one column")
        keys = [json.dumps(f.name, ensure_ascii=False) for f in self.fields]
        # skeletons[i] is written before value i; the last one closes the row.
        self.skeletons = ["{" + keys[0] + ":"] + [f", {key}:" for key in keys[1:]] + ["}\n"]

    def answer(self, rows: list[str]) -> str:
        """The JSON text an endpoint answers with, from finished row lines."""
        body = ",\n".join(row.strip() for row in rows)
        return f'{{"rows": [\n{body}\n]}}' if self.wrapped else (rows[0].strip() if rows else "")


def plan_from_json_schema(schema: Mapping[str, Any]) -> RowPlan:
    """A RowPlan from a response JSON schema: {"rows": [row]}, [row], or a row object, where a
    row is an object of scalar properties (see lookalike.llm.schema.row_json_schema)."""
    rows, wrapped = 1, False
    if schema.get("type") == "object" and _type_of(schema.get("properties", {}).get("rows")) == (
            "array", False):
        schema, wrapped = schema["properties"]["rows"], True
    if _type_of(schema) == ("array", False):
        rows = int(schema.get("minItems") or schema.get("maxItems") or 1)
        schema, wrapped = schema.get("items", {}), True
    properties = schema.get("properties")
    if _type_of(schema)[0] != "object" or not isinstance(properties, Mapping) or not properties:
        raise InvalidOptionError(
            "the local model fills flat rows only: the response schema must be an object with "
            "scalar properties, an array of such objects, or {\"rows\": [...]}")
    fields = [Field(name, machine_for(name, prop)) for name, prop in properties.items()]
    return RowPlan(fields, rows=rows, wrapped=wrapped)


def machine_for(name: str, schema: Mapping[str, Any]) -> Machine:
    """The machine of a property's JSON schema; null is allowed where the type lists it."""
    kind, nullable = _type_of(schema)
    if "enum" in schema:
        values = [v for v in schema["enum"] if v is not None]
        nullable = nullable or None in schema["enum"]
        machine: Machine = Choice([" " + json.dumps(v, ensure_ascii=False) for v in values])
    elif kind == "integer":
        low, high = schema.get("minimum", -(10**18)), schema.get("maximum", 10**18)
        digits = len(str(int(max(abs(low), abs(high)))))
        machine = integer_machine(digits, negative=low < 0, low=int(low), high=int(high))
    elif kind == "number":
        high = max(abs(schema.get("minimum", 0)), abs(schema.get("maximum", 10**15)))
        step = schema.get("multipleOf")
        scale = max(0, -int(np.floor(np.log10(step)))) if step else 6
        machine = number_machine(len(str(int(high))), scale)
    elif kind == "boolean":
        machine = Choice([" true", " false"])
    elif kind == "string":
        machine = _string_machine(schema)
    else:
        raise InvalidOptionError(f"property {name!r}: the local model cannot fill type {kind!r}")
    return Either([machine, Choice([" null"])]) if nullable else machine


def _string_machine(schema: Mapping[str, Any]) -> Machine:
    template = {"date": _DATE, "time": _TIME, "date-time": [*_DATE, "T", *_TIME, "Z"]}.get(
        schema.get("format", ""))
    if schema.get("pattern") == TIMESTAMP_PATTERN:
        template = [*_DATE, " ", *_TIME]
    elif schema.get("pattern") == UUID_PATTERN:
        template = _UUID
    if template:
        calendar = None if template is _UUID else "time" if template is _TIME else "date"
        return Template(template, calendar=calendar)
    return Text(int(schema.get("maxLength") or DEFAULT_TEXT_LENGTH))


def _type_of(schema: Any) -> tuple[str | None, bool]:
    """(the non-null JSON type, whether null is allowed)."""
    if not isinstance(schema, Mapping):
        return None, False
    kind = schema.get("type")
    if isinstance(kind, list):
        rest = [k for k in kind if k != "null"]
        return (rest[0] if rest else "null"), "null" in kind
    if "anyOf" in schema:
        options = [_type_of(option) for option in schema["anyOf"]]
        real = [o for o in options if o[0] not in (None, "null")]
        merged = dict(schema["anyOf"][options.index(real[0])]) if real else {}
        merged.pop("type", None)
        return (real[0][0] if real else "null"), any(o[0] == "null" for o in options)
    return kind, False


# -- the decoding state of one sequence ----------------------------------------------------------

@dataclass
class Step:
    """What may come next: `ids` (small set), and inside free text, how long it may grow."""

    ids: np.ndarray
    free_text: int | None = None


class RowWriter:
    """One sequence's progress through rows: which field, the value so far, the row so far."""

    def __init__(self, plan: RowPlan, vocabulary: Vocabulary, tokenize) -> None:
        self.plan, self.vocabulary, self.tokenize = plan, vocabulary, tokenize
        self.rows: list[str] = []
        self.forced_now = False  # the token being fed is skeleton, not the model's choice
        self.forced: list[int] = list(tokenize(plan.skeletons[0]))
        self.field, self.value, self.row = 0, "", plan.skeletons[0]
        self._cache: dict[tuple[int, str], tuple[np.ndarray, list[tuple[int, int]]]] = {}
        self._candidates = [f.machine.candidates(vocabulary) for f in plan.fields]
        self._bridges = [self._bridge_tokens(plan.skeletons[i + 1])
                         for i in range(len(plan.fields))]

    def _bridge_tokens(self, skeleton: str) -> list[tuple[int, str, int]]:
        """Tokens that end a value: (id, closing part, how much of the skeleton they write)."""
        found = []
        for end in range(1, len(skeleton) + 1):
            for closing in ("", '"'):
                for token in self.vocabulary.ids_by_text.get(closing + skeleton[:end], ()):
                    found.append((token, closing, end))
        return found

    def next_step(self) -> Step:
        key = (self.field, self.value)
        if key not in self._cache:
            machine = self.plan.fields[self.field].machine
            ids = [t for t in self._candidates[self.field]
                   if machine.is_prefix(self.value + self.vocabulary.texts[t])]
            ids += [t for t, closing, _ in self._bridges[self.field]
                    if machine.is_complete(self.value + closing)]
            self._cache[key] = np.array(sorted(set(ids)), dtype=np.int64)
        free = self.plan.fields[self.field].machine.free_text(self.value)
        return Step(self._cache[key], free)

    def advance(self, token: int) -> bool:
        """Take `token` (one allowed by `next_step`); True when it finished a row."""
        text = self.vocabulary.texts[token] or ""
        machine = self.plan.fields[self.field].machine
        for bridge, closing, end in self._bridges[self.field]:
            if bridge == token and machine.is_complete(self.value + closing):
                return self._end_value(closing, end)
        self.value += text
        return False

    def _end_value(self, closing: str, written: int) -> bool:
        skeleton = self.plan.skeletons[self.field + 1]
        self.row += self.value + closing + skeleton
        rest, self.value = skeleton[written:], ""
        self.field += 1
        if self.field < len(self.plan.fields):
            self.forced = list(self.tokenize(rest)) if rest else []
            return False
        self.rows.append(self.row)
        opening = self.plan.skeletons[0]
        self.forced = list(self.tokenize(rest + opening))
        self.field, self.row = 0, opening
        return True
