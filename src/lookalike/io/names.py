"""Table names as users write them: `DB.SCHEMA.TABLE`, unquoted parts matching any case."""

from __future__ import annotations

from dataclasses import dataclass

from lookalike.errors import ConfigError


@dataclass(frozen=True)
class Identifier:
    text: str
    quoted: bool

    def matches(self, name: str) -> bool:
        return name == self.text if self.quoted else name.casefold() == self.text.casefold()



def split_name(name: str) -> list[Identifier]:
    """`DB.SCHEMA.TABLE` into its parts; dots and doubled quotes inside "quotes" are literal."""
    parts: list[Identifier] = []
    current, quoted, in_quotes, i = "", False, False, 0
    while i < len(name):
        char = name[i]
        if in_quotes and char == '"' and name[i + 1:i + 2] == '"':
            current, i = current + '"', i + 2
            continue
        if char == '"':
            in_quotes, quoted = not in_quotes, True
        elif char == "." and not in_quotes:
            parts.append(Identifier(current if quoted else current.strip(), quoted))
            current, quoted = "", False
        else:
            current += char
        i += 1
    if in_quotes:
        raise ConfigError(f"table name {name!r} has an unclosed double quote")
    parts.append(Identifier(current if quoted else current.strip(), quoted))
    if len(parts) > 3 or any(not part.text for part in parts):
        raise ConfigError(f"table name {name!r} is not of the form DB.SCHEMA.TABLE")
    return parts


