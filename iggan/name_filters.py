"""Name filters (--filter, --exclude, --category, and `?filter=` in `--data mesh:`): regexes compiled once,
up front, so that a typo stops the command with one line naming the option, before any folder is made or
any file is read (re.error's traceback told a user neither which option nor what to do)."""
from __future__ import annotations

import re


class FilterError(ValueError):
    """A name filter is not a valid regular expression; the message names the option and what to do."""


def compile_filter(pattern: str | None, option: str) -> re.Pattern | None:
    """`pattern` as a case-insensitive regex (None when not given). Raises FilterError naming `option`
    ("--filter", "?filter=" ...) when it is not a valid regular expression."""
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise FilterError(f"{option} {pattern!r} is not a valid regular expression ({exc}); fix it, or escape "
                          "special characters with a backslash (e.g. \\( for a literal parenthesis)") from exc


def check_filters(options: dict[str, str | None]) -> None:
    """Compile every {option: pattern}; raise FilterError for the first that is not a valid regex."""
    for option, pattern in options.items():
        compile_filter(pattern, option)
