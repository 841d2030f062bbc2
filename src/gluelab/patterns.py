"""Patterns users send, bounded: GetTables ``Expression`` (a regular expression), the exclusion globs of
crawler targets and of S3 sources, the ``%`` patterns of JDBC target paths.

Compiling a regular expression unrolls its counted repeats (``a{3000000}`` is three million nodes, and
seconds of work holding the GIL), and matching one can backtrack for ever. So a pattern is sized from its
text before it is compiled (its length, each repeat count, its size with every repeat unrolled, how deep
its groups nest) and refused with InvalidInputException when too big; and matching runs under a time
budget without holding the GIL (``regex``'s ``concurrent``). A hostile pattern is a quick error, never a
stalled or exhausted server.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import regex

from .errors import InvalidInputException

MAX_LENGTH = 2048  # Glue's limit for an Expression (FilterString, PredicateString)
MAX_REPEAT = 1000  # the largest count a {m,n} repeat may take
MAX_SIZE = 20_000  # the pattern's size with every counted repeat unrolled
MAX_NESTING = 64  # groups (or a glob's {a,b} choices) inside one another
MAX_GLOBS_LENGTH = 64 * 1024  # all the globs of one list together (compiling costs about 4 µs a character)
MATCH_TIMEOUT = 0.05  # seconds one match may take
MATCH_BUDGET = 2.0  # seconds of CPU all the matches of one request may take together

_COUNT = re.compile(r"\{(\d*)(?:,(\d*))?\}")
_BRACED_ESCAPES = tuple("pPNxgkL")  # \p{L}, \N{name}, \x{263a}, \g{1} ...: one atom, braces included


class _Refused(Exception):
    """Why a pattern is refused, before its caller names it."""


def _size(pattern: str) -> int:
    """The size of ``pattern`` once compiled, estimated from its text: an atom counts 1, a group what
    it holds, a counted repeat its atom times the count."""
    stack = [[0, 0]]  # per open group: [its size so far, the size of its last atom]
    i, n = 0, len(pattern)

    def atom(size: int) -> None:
        stack[-1][0] += size
        stack[-1][1] = size

    while i < n:
        char = pattern[i]
        if char == "\\":
            end = i + 2
            if pattern[i + 1 : i + 2] in _BRACED_ESCAPES and pattern[end : end + 1] == "{":
                close = pattern.find("}", end)
                end = n if close == -1 else close + 1
            atom(1)
            i = end
        elif char == "[":
            i = _class_end(pattern, i)
            atom(1)
        elif char == "(":
            if len(stack) > MAX_NESTING:
                raise _Refused(f"groups nest more than {MAX_NESTING} deep")
            stack.append([0, 0])
            i += 1
        elif char == ")" and len(stack) > 1:
            atom(max(stack.pop()[0], 1))
            i += 1
        elif char == "|":
            stack[-1][1] = 0
            i += 1
        elif char == "{" and (count := _COUNT.match(pattern, i)) and (count[1] or count[2]):
            bound = max(int(count[1] or 0), int(count[2] or 0), 1)
            if bound > MAX_REPEAT:
                raise _Refused(f"a repeat count of {bound} is more than {MAX_REPEAT}")
            last = stack[-1][1]
            stack[-1][0] += last * (bound - 1)
            stack[-1][1] = last * bound
            i = count.end()
        else:
            atom(1)
            i += 1
    return sum(size for size, _ in stack)


def _class_end(pattern: str, start: int) -> int:
    """The index after the character class that opens at ``start`` (nested sets and escapes skipped)."""
    depth, i = 0, start
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            depth += 1
            if pattern[i + 1 : i + 2] == "^":
                i += 1
            if pattern[i + 1 : i + 2] == "]":  # a leading ] is a member
                i += 1
        elif char == "]":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(pattern)


def _check(pattern: str, max_length: int) -> None:
    if len(pattern) > max_length:
        raise _Refused(f"it is {len(pattern)} characters long, more than {max_length}")
    size = _size(pattern)
    if size > MAX_SIZE:
        raise _Refused(f"with its repeats unrolled it has {size} elements, more than {MAX_SIZE}")


def check_pattern(pattern: str, what: str, max_length: int = MAX_LENGTH) -> None:
    """Refuse ``pattern`` (a regular expression) when compiling it could cost too much."""
    try:
        _check(pattern, max_length)
    except _Refused as exc:
        raise InvalidInputException(f"{what} is not a valid pattern: {exc}") from None


def compile_pattern(
    pattern: str, what: str, flags: int = 0, max_length: int = MAX_LENGTH, kind: str = "pattern"
) -> regex.Pattern[str]:
    """``pattern`` (``regex`` syntax, close to Java's) compiled once it is known to be small enough;
    ``max_length`` for a pattern translated from what the user wrote, which may be longer."""
    try:
        _check(pattern, max_length)
        return regex.compile(pattern, flags)
    except (_Refused, regex.error, OverflowError, ValueError, RecursionError, MemoryError) as exc:
        raise InvalidInputException(f"{what} is not a valid {kind}: {exc}") from None


class Matcher:
    """Whether a text fully matches any of some compiled patterns, in bounded time: each match at most
    ``timeout`` seconds, all of them together at most ``budget`` seconds of matching (None: no total, for
    a crawl or a job's own listing, which may match millions of paths). Over time is
    InvalidInputException. Matching releases the GIL, so other requests go on meanwhile; the budget
    counts this thread's CPU time while matching, so waiting for the GIL under load never spends it."""

    def __init__(
        self,
        patterns: list[regex.Pattern[str]],
        what: str,
        timeout: float = MATCH_TIMEOUT,
        budget: float | None = MATCH_BUDGET,
    ):
        self.patterns = patterns
        self.what = what
        self.timeout = timeout
        self.left = budget

    def __call__(self, text: str) -> bool:
        for pattern in self.patterns:
            timeout = self.timeout if self.left is None else min(self.timeout, self.left)
            started = time.thread_time()
            try:
                if timeout <= 0:
                    raise TimeoutError
                if pattern.fullmatch(text, timeout=timeout, concurrent=True) is not None:
                    return True
            except TimeoutError:
                raise InvalidInputException(
                    f"{self.what} {pattern.pattern[:100]!r} is too expensive to evaluate; simplify it."
                ) from None
            finally:
                if self.left is not None:
                    self.left -= time.thread_time() - started
        return False

    match = __call__  # what callers of a compiled pattern's ``match`` expect (anchored at both ends)


def compile_glob(glob: object, translate: Callable[[str], str], what: str) -> regex.Pattern[str]:
    """One glob checked (a string, its length, how deep its ``{a,b}`` choices nest), translated to a
    regular expression by ``translate`` (the crawler's and the S3 source's dialects differ a little)
    and compiled."""
    if not isinstance(glob, str):
        raise InvalidInputException(f"{what} must be glob patterns (strings), not {glob!r}")
    depth = 0
    for char in glob:
        if char == "{":
            depth += 1
            if depth > MAX_NESTING:
                raise InvalidInputException(
                    f"{what} {glob[:100]!r} is not a valid glob: choices nest more than {MAX_NESTING} deep"
                )
        elif char == "}" and depth:
            depth -= 1
    if len(glob) > MAX_LENGTH:
        raise InvalidInputException(
            f"{what} {glob[:100]!r}... is not a valid glob: it is {len(glob)} characters long, "
            f"more than {MAX_LENGTH}"
        )
    # A glob's translation is longer than the glob (``*`` is ``[^/]*``), never larger once compiled.
    return compile_pattern(translate(glob), f"{what} {glob!r}", max_length=8 * MAX_LENGTH, kind="glob")


def glob_matcher(
    globs: list[str], translate: Callable[[str], str], what: str, budget: float | None = None
) -> Matcher:
    """A Matcher for a list of exclusion globs (see ``compile_glob``)."""
    total = sum(len(g) for g in globs if isinstance(g, str))
    if total > MAX_GLOBS_LENGTH:
        raise InvalidInputException(
            f"{what} hold {total} characters of globs together; at most {MAX_GLOBS_LENGTH}."
        )
    return Matcher([compile_glob(g, translate, what) for g in globs], what, budget=budget)


def check_globs(globs: object, translate: Callable[[str], str], what: str) -> None:
    """A list of exclusion globs as CreateCrawler and UpdateCrawler check it: InvalidInputException."""
    if globs is None:
        return
    if not isinstance(globs, list):
        raise InvalidInputException(f"{what} must be a list of glob patterns")
    glob_matcher(globs, translate, what)
