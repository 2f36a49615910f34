"""Diffs: how an actual output differs from its baseline, as hunks of lines or as a unified diff.

The platform's diff page reads both files as text (UTF-8, else cp1252) and
shows an HTML table. This module answers the same question for the API, as
plain data: two byte strings in, the hunks (or the unified diff that ``patch``
applies) out. It knows nothing of runs, rows or files on disk, so that it can
be tested on any pair of byte strings.

Lines end at LF, as ``diff`` and ``patch`` count them; a CR before the LF is
part of the line's end (``eol``), so that a change of line endings alone
shows as changed lines. Lines are compared as bytes: two lines are equal
only when their bytes are, whatever the two files' encodings, so that the
hunks turn the baseline into exactly the actual output. A file with a NUL
byte, or that is neither UTF-8 nor cp1252, is binary: it gets no hunks.
"""

from __future__ import annotations

import bisect
import collections
import difflib
import enum
from dataclasses import dataclass
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple

ENCODINGS = ('utf-8', 'cp1252')


class LineKind(str, enum.Enum):
    """What a line of a hunk is: on both sides, only in the baseline, or only in the actual output."""

    context = 'context'
    removed = 'removed'
    added = 'added'


@dataclass(frozen=True)
class Text:
    """A file read as text: its encoding, its lines (each as bytes with its line end), and how they end.

    ``line_endings`` is ``lf``, ``crlf``, ``mixed``, or ``none`` (one line without an end, or empty).
    """

    encoding: str
    lines: Tuple[bytes, ...]
    line_endings: str = 'none'


def _line_endings(data: bytes) -> str:
    crlf = data.count(b'\r\n')
    lf = data.count(b'\n') - crlf
    if crlf and lf:
        return 'mixed'
    return 'crlf' if crlf else 'lf' if lf else 'none'


def split_lines(data: bytes) -> Tuple[bytes, ...]:
    """Split ``data`` after each LF; the last line has no end when the data does not end with one."""
    parts = data.split(b'\n')
    lines = [part + b'\n' for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return tuple(lines)


def read_text(data: bytes) -> Optional[Text]:
    """Read ``data`` as the platform does (UTF-8, else cp1252), or return None when it is binary."""
    if b'\0' in data:
        return None
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return Text(encoding, split_lines(data), _line_endings(data))
    return None  # cp1252 leaves five byte values undefined: such a file is no text of the platform's either


def _eol(line: bytes) -> bytes:
    if line.endswith(b'\r\n'):
        return b'\r\n'
    return b'\n' if line.endswith(b'\n') else b''


class Line(NamedTuple):
    """One line of a hunk, with its number on each side it is on (1-based).

    A named tuple rather than a dataclass: a diff makes thousands, and a tuple is made the fastest.
    """

    kind: LineKind
    text: str
    eol: str
    expected_line: Optional[int] = None
    actual_line: Optional[int] = None


@dataclass(frozen=True)
class Hunk:
    """A run of changed lines with their context, its ranges written as a unified diff's ``@@`` line does.

    A range's start is its first line's number, or, when it is empty, the number
    of the line after which it applies (0: before the first line).
    """

    expected_start: int
    expected_lines: int
    actual_start: int
    actual_lines: int
    lines: Tuple[Line, ...]


@dataclass(frozen=True)
class LineDiff:
    """The difference of two texts: every hunk's count, and the hunks up to the line limit."""

    added_lines: int
    removed_lines: int
    hunk_count: int
    hunks: Tuple[Hunk, ...]
    truncated: bool


#: Lines per side that difflib matches at once. Beyond, with lines that repeat, its search grows
#: quadratically (seconds for a few thousand lines): longer stretches are split on their own unique lines first.
DIFFLIB_MAX_LINES = 2000


class _AnchoredMatcher(difflib.SequenceMatcher[bytes]):
    """difflib's matcher, anchored first on the lines that occur exactly once on each side (patience diff).

    difflib alone looks for the longest common block, then again on each
    side of it: with changes spread through a long file that is quadratic
    (seconds for 10,000 subtitle lines with 5% changed). Here the common start
    and end are matched first, then the lines unique to both sides, in the
    longest order they share, and the same again between each two of them;
    difflib matches only stretches of at most ``DIFFLIB_MAX_LINES`` lines. A
    longer stretch with no unique line in common is cut into as many parts of
    each side, matched pairwise: the diff may then be longer than it could
    be, never wrong. The opcodes, and so the hunks, are difflib's, over those
    matching blocks.
    """

    def __init__(self, a: Sequence[bytes], b: Sequence[bytes]) -> None:
        super().__init__(None, (), ())  # difflib's own index of b is not needed
        self._sequences = a, b
        self._blocks: Optional[List[difflib.Match]] = None

    def get_matching_blocks(self) -> List[difflib.Match]:
        """Return the matching blocks, difflib's way: (i, j, n) triples, then (len(a), len(b), 0)."""
        if self._blocks is None:
            a, b = self._sequences
            self._blocks = [difflib.Match(*block) for block in [*_match(a, b), (len(a), len(b), 0)]]
        return self._blocks


def _match(a: Sequence[bytes], b: Sequence[bytes]) -> List[Tuple[int, int, int]]:
    """Match ``a`` with ``b``: the blocks (i, j, n) in order, adjacent ones joined."""
    merged: List[List[int]] = []

    def add(i: int, j: int, n: int) -> None:
        if not n:
            return
        if merged:
            last = merged[-1]
            if last[0] + last[2] == i and last[1] + last[2] == j:
                last[2] += n
                return
        merged.append([i, j, n])

    # A stack instead of recursion (a stretch can split into one line and the rest, many times over):
    # ranges (i1, i2, j1, j2) still to match and blocks (i, j, n) found, taken in order from its end.
    work: List[Tuple[int, ...]] = [(0, len(a), 0, len(b))]
    while work:
        item = work.pop()
        if len(item) == 3:
            add(*item)
            continue
        i1, i2, j1, j2 = item
        start = 0
        while i1 + start < i2 and j1 + start < j2 and a[i1 + start] == b[j1 + start]:
            start += 1
        end = 0
        while i2 - end > i1 + start and j2 - end > j1 + start and a[i2 - end - 1] == b[j2 - end - 1]:
            end += 1
        add(i1, j1, start)
        later: List[Tuple[int, ...]] = [(i2 - end, j2 - end, end)]
        i1, i2, j1, j2 = i1 + start, i2 - end, j1 + start, j2 - end
        if i1 < i2 and j1 < j2:
            if i2 - i1 <= DIFFLIB_MAX_LINES and j2 - j1 <= DIFFLIB_MAX_LINES:
                for i, j, n in difflib.SequenceMatcher(None, a[i1:i2], b[j1:j2]).get_matching_blocks():
                    add(i1 + i, j1 + j, n)
            else:
                steps: List[Tuple[int, ...]] = []
                i, j = i1, j1
                for anchor_i, anchor_j in _anchors(a[i1:i2], b[j1:j2]):
                    anchor_i, anchor_j = anchor_i + i1, anchor_j + j1
                    if anchor_i - i == anchor_j - j and a[i:anchor_i] == b[j:anchor_j]:
                        steps.append((i, j, anchor_i - i + 1))  # the usual case: the same between two anchors
                    else:
                        steps += [(i, anchor_i, j, anchor_j), (anchor_i, anchor_j, 1)]
                    i, j = anchor_i + 1, anchor_j + 1
                if steps:
                    steps.append((i, i2, j, j2))
                else:  # no unique line in common, and too long for difflib: stretch by stretch, side by side
                    parts = -(-max(i2 - i1, j2 - j1) // DIFFLIB_MAX_LINES)
                    steps = [(i1 + (i2 - i1) * k // parts, i1 + (i2 - i1) * (k + 1) // parts,
                              j1 + (j2 - j1) * k // parts, j1 + (j2 - j1) * (k + 1) // parts) for k in range(parts)]
                later = steps + later
        work.extend(reversed(later))
    return [(i, j, n) for i, j, n in merged]


def _anchors(a: Sequence[bytes], b: Sequence[bytes]) -> List[Tuple[int, int]]:
    """Pairs (i, j) of lines that occur once in each file, the longest list increasing on both sides."""
    count_a, count_b = collections.Counter(a), collections.Counter(b)
    unique_b = {line: j for j, line in enumerate(b) if count_b[line] == 1}
    pairs = [(i, unique_b[line]) for i, line in enumerate(a) if line in unique_b and count_a[line] == 1]
    if all(first[1] < second[1] for first, second in zip(pairs, pairs[1:])):
        return pairs  # nothing moved, as in most diffs: the longest increasing list is all of them
    # Longest increasing subsequence of the j's (patience sorting): tails[k] ends the best run of length k + 1.
    tails: List[int] = []
    tail_js: List[int] = []
    previous: List[int] = []
    for index, (_, j) in enumerate(pairs):
        k = bisect.bisect_left(tail_js, j)
        previous.append(tails[k - 1] if k else -1)
        if k == len(tails):
            tails.append(index)
            tail_js.append(j)
        else:
            tails[k] = index
            tail_js[k] = j
    chain: List[Tuple[int, int]] = []
    index = tails[-1] if tails else -1
    while index >= 0:
        chain.append(pairs[index])
        index = previous[index]
    return chain[::-1]


def _matcher(expected: Sequence[bytes], actual: Sequence[bytes]) -> _AnchoredMatcher:
    return _AnchoredMatcher(expected, actual)


def _start(start: int, length: int) -> int:
    return start + 1 if length else start


def _lines(group: List[Tuple[str, int, int, int, int]], expected: Text, actual: Text) -> Iterator[Line]:
    def line(kind: LineKind, raw: bytes, encoding: str, expected_line: Optional[int],
             actual_line: Optional[int]) -> Line:
        eol = _eol(raw)
        return Line(kind, raw[:len(raw) - len(eol)].decode(encoding), eol.decode('ascii'), expected_line,
                    actual_line)

    for tag, i1, i2, j1, j2 in group:
        if tag == 'equal':
            for offset in range(i2 - i1):
                yield line(LineKind.context, expected.lines[i1 + offset], expected.encoding, i1 + offset + 1,
                           j1 + offset + 1)
            continue
        for i in range(i1, i2):
            yield line(LineKind.removed, expected.lines[i], expected.encoding, i + 1, None)
        for j in range(j1, j2):
            yield line(LineKind.added, actual.lines[j], actual.encoding, None, j + 1)


def _hunk(lines: Sequence[Line], expected_start: int, actual_start: int) -> Hunk:
    expected_lines = sum(1 for line in lines if line.kind is not LineKind.added)
    actual_lines = sum(1 for line in lines if line.kind is not LineKind.removed)
    return Hunk(_start(expected_start, expected_lines), expected_lines, _start(actual_start, actual_lines),
                actual_lines, tuple(lines))


def line_diff(expected: Text, actual: Text, context: int = 3, max_lines: Optional[int] = None) -> LineDiff:
    """Diff two texts into hunks with ``context`` lines around each change.

    The counts cover the whole difference; the hunks stop once ``max_lines``
    lines are listed (the last one cut there), and ``truncated`` says so.
    """
    groups = list(_matcher(expected.lines, actual.lines).get_grouped_opcodes(context))
    added = removed = 0
    for group in groups:
        for tag, i1, i2, j1, j2 in group:
            if tag != 'equal':
                removed += i2 - i1
                added += j2 - j1
    hunks: List[Hunk] = []
    listed = 0
    truncated = False
    for group in groups:
        lines = list(_lines(group, expected, actual))
        if max_lines is not None and listed + len(lines) > max_lines:
            truncated = True
            lines = lines[:max_lines - listed]
            if not lines:
                break
        hunks.append(_hunk(lines, group[0][1], group[0][3]))
        listed += len(lines)
        if truncated:
            break
    return LineDiff(added, removed, len(groups), tuple(hunks), truncated)


def _range(start: int, length: int) -> str:
    """Write a range of a unified diff's ``@@`` line as diff(1) and difflib write it."""
    if length == 1:
        return str(start + 1)
    return f'{start + 1 if length else start},{length}'


def unified_diff(expected: Text, actual: Text, expected_name: str, actual_name: str, context: int = 3) -> bytes:
    r"""Write the standard unified diff of two texts, for ``patch``: the same hunks as ``line_diff``'s.

    Each line is written in its own file's bytes, so that patch turns the
    baseline into exactly the actual output. Empty when the texts are equal.
    A last line without a line end is marked ``\ No newline at end of file``,
    as diff(1) does.
    """
    groups = list(_matcher(expected.lines, actual.lines).get_grouped_opcodes(context))
    if not groups:
        return b''
    out = [f'--- {expected_name}\n+++ {actual_name}\n'.encode()]

    def emit(prefix: bytes, line: bytes) -> None:
        out.append(prefix + line)
        if not line.endswith(b'\n'):
            out.append(b'\n\\ No newline at end of file\n')

    for group in groups:
        i1, i2, j1, j2 = group[0][1], group[-1][2], group[0][3], group[-1][4]
        out.append(f'@@ -{_range(i1, i2 - i1)} +{_range(j1, j2 - j1)} @@\n'.encode())
        for tag, a1, a2, b1, b2 in group:
            if tag == 'equal':
                for line in expected.lines[a1:a2]:
                    emit(b' ', line)
                continue
            for line in expected.lines[a1:a2]:
                emit(b'-', line)
            for line in actual.lines[b1:b2]:
                emit(b'+', line)
    return b''.join(out)
