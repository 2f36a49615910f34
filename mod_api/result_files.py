"""Result files: where the platform keeps a run's output files and CI log, and opening them safely.

The platform's CI worker uploads each output that differs from its baseline
as ``TestResults/<sha256><extension>`` under the platform's
``SAMPLE_REPOSITORY`` (baselines are there too, by their hash), and a run's
log as ``LogFiles/<run id>.txt``. The API finds them under
``API_RESULTS_ROOT`` (the host's ``SAMPLE_REPOSITORY`` by default).

A path is built only from values checked here (a 64-digit hexadecimal hash,
an extension of at most two ``.alnum`` parts, a run id that is a number), and
the file it names is served only if, once every link is resolved, it is a
regular file inside its folder (``TestResults`` or ``LogFiles`` as they
resolve themselves, so that a maintainer may keep them on another disk):
whatever the database holds, no request reaches any other file.
"""

from __future__ import annotations

import enum
import os
import re
import stat
from dataclasses import dataclass
from typing import BinaryIO, Optional, Tuple

from mod_api.verdicts import Output, ResultFile

RESULTS_FOLDER = 'TestResults'
LOGS_FOLDER = 'LogFiles'

_HASH = re.compile(r'\A[0-9a-fA-F]{64}\Z')
_EXTENSION = re.compile(r'\A(?:\.[A-Za-z0-9]{1,16}){0,2}\Z')


class Missing(str, enum.Enum):
    """Why one side of an output has no file the API can read (or, for ``got_null``, no file of its own)."""

    #: The worker never reported the output: no ``test_result_file`` row, so no actual output.
    no_row = 'no_row'
    #: The output has no baseline: its ``correct`` (and its row's ``expected``) is empty.
    no_baseline = 'no_baseline'
    #: ``got`` is NULL: the output was identical to its baseline and no file of its own was stored;
    #: the side is the baseline's file (available when that one is).
    got_null = 'got_null'
    #: The stored value is not a sha256 (64 hexadecimal digits), so no file is looked up for it.
    not_a_hash = 'not_a_hash'
    #: The output's ``correct_extension`` is not one or two ``.`` + 1-16 letters or digits.
    bad_extension = 'bad_extension'
    #: No such regular file in its folder.
    not_on_disk = 'not_on_disk'
    #: The file is a link that resolves outside its folder: refused.
    outside_root = 'outside_root'
    #: The host has set neither ``API_RESULTS_ROOT`` nor ``SAMPLE_REPOSITORY``.
    no_results_root = 'no_results_root'


@dataclass(frozen=True)
class Located:
    """A file found on disk: its resolved path and its size, as ``stat`` saw them."""

    path: str
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Side:
    """One side of an output (its baseline, or its actual output) and where its file is."""

    #: The content's sha256 as stored (None when there is none, or it is not a sha256).
    hash: Optional[str]
    #: The file's name in ``TestResults``, when one could be built.
    filename: Optional[str]
    #: The file, when it is on disk and may be read.
    file: Optional[Located]
    #: Why the side has no file to read, or has none of its own (``got_null``); None otherwise.
    reason: Optional[Missing]

    @property
    def available(self) -> bool:
        """Whether the side's content can be read."""
        return self.file is not None


def _confined(folder: str, name: str) -> Tuple[Optional[Located], Optional[Missing]]:
    """Find ``name`` (already validated) in ``folder`` of the results root, links resolved and confined."""
    base = os.path.realpath(folder)
    path = os.path.realpath(os.path.join(base, name))
    if os.path.commonpath([base, path]) != base or path == base:
        return None, Missing.outside_root
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None, Missing.not_on_disk
    if not stat.S_ISREG(found.st_mode):
        return None, Missing.not_on_disk
    return Located(path, found.st_size, found.st_mtime_ns), None


def is_hash(value: Optional[str]) -> bool:
    """Whether ``value`` is a sha256 as the platform stores them: 64 hexadecimal digits."""
    return value is not None and _HASH.match(value) is not None


def result_file(root: Optional[str], file_hash: Optional[str], extension: str) -> Side:
    """Describe the file of ``file_hash`` with ``extension`` in ``TestResults``: found, or why not."""
    if not file_hash:
        return Side(None, None, None, Missing.no_baseline)
    if not is_hash(file_hash):
        return Side(None, None, None, Missing.not_a_hash)
    if not _EXTENSION.match(extension):
        return Side(file_hash, None, None, Missing.bad_extension)
    name = f'{file_hash}{extension}'
    if not root:
        return Side(file_hash, name, None, Missing.no_results_root)
    located, missing = _confined(os.path.join(root, RESULTS_FOLDER), name)
    return Side(file_hash, name, located, missing)


def output_sides(root: Optional[str], output: Output, row: Optional[ResultFile]) -> Tuple[Side, Side]:
    """Return the baseline and the actual side of one output of a run, given its row (None: not reported).

    The baseline is the one of the time of the run (the row's ``expected``),
    or the output's current ``correct`` when there is no row. The actual
    output is the row's ``got``; when ``got`` is NULL the output was identical
    and only the baseline's file exists: it stands for the actual output too.
    """
    extension = output.extension or ''
    if row is None:
        expected = result_file(root, output.correct, extension)
        return expected, Side(None, None, None, Missing.no_row)
    expected = result_file(root, row.expected, extension)
    if row.got is None:
        return expected, Side(expected.hash, expected.filename, expected.file, Missing.got_null)
    actual = result_file(root, row.got, extension)
    if actual.reason is Missing.no_baseline:  # an empty got is set, but names no file
        actual = Side(None, None, None, Missing.not_a_hash)
    return expected, actual


def log_file(root: Optional[str], run_id: int) -> Tuple[Optional[Located], Optional[Missing]]:
    """Find the CI log of run ``run_id`` (``LogFiles/<run id>.txt``), or say why there is none."""
    if not root:
        return None, Missing.no_results_root
    return _confined(os.path.join(root, LOGS_FOLDER), f'{int(run_id)}.txt')


def open_located(located: Located) -> BinaryIO:
    """Open a located file for reading, refusing it if it was replaced by a link or a non-regular file since.

    Raises FileNotFoundError when it is gone or refused.
    """
    flags = os.O_RDONLY | getattr(os, 'O_NOFOLLOW', 0) | getattr(os, 'O_NONBLOCK', 0) | getattr(os, 'O_BINARY', 0)
    try:
        descriptor = os.open(located.path, flags)
    except OSError as error:
        raise FileNotFoundError(located.path) from error
    handle = os.fdopen(descriptor, 'rb')
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        handle.close()
        raise FileNotFoundError(located.path)
    return handle


def read_at_most(located: Located, limit: int) -> Optional[bytes]:
    """Read a located file whole if it has at most ``limit`` bytes, else return None.

    Raises FileNotFoundError when it is gone or refused since it was located.
    """
    if located.size > limit:
        return None
    with open_located(located) as handle:
        data = handle.read(limit + 1)  # it may have grown since: never more than the limit in memory
    return data if len(data) <= limit else None
