"""The diff service (mod_api/diffs.py), on byte strings: encodings, binary files, line ends, hunks, ``patch``.

The property the API promises: applying the hunks to the baseline gives the
actual output line for line, and ``patch`` applies the unified diff to give it
byte for byte. Both are checked on generated files with hypothesis, the
second with the real ``patch`` binary.
"""

import random
import re
import shutil
import subprocess
from typing import List

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mod_api.diffs import (LineKind, Text, line_diff, read_text, split_lines,
                           unified_diff)

PATCH = shutil.which('patch')


def text(data: bytes) -> Text:
    """``data`` read as text (it must be)."""
    read = read_text(data)
    assert read is not None
    return read


def apply(expected: Text, hunks, actual_encoding: str) -> bytes:
    """Apply JSON-shaped hunks to the baseline's lines, checking every context and removed line against it."""
    out: List[bytes] = []
    position = 0  # next baseline line (0-based) not yet copied
    for hunk in hunks:
        first = hunk.expected_start - 1 if hunk.expected_lines else hunk.expected_start
        out.extend(expected.lines[position:first])
        position = first
        for line in hunk.lines:
            if line.kind is LineKind.added:
                out.append(line.text.encode(actual_encoding) + line.eol.encode())
                continue
            raw = line.text.encode(expected.encoding) + line.eol.encode()
            assert expected.lines[position] == raw, (position, line)
            assert line.expected_line == position + 1
            position += 1
            if line.kind is LineKind.context:
                out.append(raw)
    out.extend(expected.lines[position:])
    return b''.join(out)


class ReadTextTests:
    """Encodings as the platform reads them, binary files, and where lines end."""

    @pytest.mark.parametrize('data, encoding', [
        pytest.param('Ça va? 日本語\n'.encode(), 'utf-8', id='utf-8'),
        pytest.param('Ça va?\n'.encode('cp1252'), 'cp1252', id='cp1252'),
        pytest.param(b'plain ascii\n', 'utf-8', id='ascii-is-utf-8'),
        pytest.param(b'', 'utf-8', id='empty'),
        pytest.param('\ufeffBOM kept as text\n'.encode(), 'utf-8', id='bom'),
        pytest.param(b'\x93quoted\x94 \x85\n', 'cp1252', id='cp1252-punctuation'),
    ])
    def test_encodings(self, data, encoding):
        assert text(data).encoding == encoding

    @pytest.mark.parametrize('data', [
        pytest.param(b'\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR', id='png'),
        pytest.param(b'text with a \x00 in it\n', id='nul'),
        pytest.param(b'\x81\x8d\x8f\x90\x9d', id='undefined-in-cp1252'),
    ])
    def test_binary(self, data):
        assert read_text(data) is None

    @pytest.mark.parametrize('data, lines, endings', [
        (b'', (), 'none'),
        (b'one', (b'one',), 'none'),
        (b'a\nb\n', (b'a\n', b'b\n'), 'lf'),
        (b'a\r\nb\r\n', (b'a\r\n', b'b\r\n'), 'crlf'),
        (b'a\r\nb\n', (b'a\r\n', b'b\n'), 'mixed'),
        (b'a\rb\n', (b'a\rb\n',), 'lf'),  # a lone CR ends no line, as for diff and patch
        (b'\n\n', (b'\n', b'\n'), 'lf'),
        (b'a\nlast', (b'a\n', b'last'), 'lf'),
    ])
    def test_lines_end_at_lf(self, data, lines, endings):
        assert split_lines(data) == lines
        assert text(data).line_endings == endings


class LineDiffTests:
    """Hunks, their ranges and line numbers, the counts, context and truncation."""

    def test_one_changed_line(self):
        expected = text(b'1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld\n')
        actual = text(b'1\n00:00:01,000 --> 00:00:02,000\nHello\n\n2\n00:00:03,000 --> 00:00:04,000\nWorld!\n')
        diff = line_diff(expected, actual, context=1)
        assert (diff.added_lines, diff.removed_lines, diff.hunk_count, diff.truncated) == (1, 1, 1, False)
        [hunk] = diff.hunks
        assert (hunk.expected_start, hunk.expected_lines, hunk.actual_start, hunk.actual_lines) == (6, 2, 6, 2)
        assert [(line.kind.value, line.expected_line, line.actual_line, line.text, line.eol) for line in hunk.lines] \
            == [('context', 6, 6, '00:00:03,000 --> 00:00:04,000', '\n'), ('removed', 7, None, 'World', '\n'),
                ('added', None, 7, 'World!', '\n')]

    def test_identical_texts_have_no_hunks(self):
        same = text(b'a\nb\n')
        assert line_diff(same, same) == line_diff(text(b''), text(b''))
        assert line_diff(same, same).hunk_count == 0 and unified_diff(same, same, 'a', 'b') == b''

    @pytest.mark.parametrize('expected, actual, ranges', [
        (b'', b'new\n', (0, 0, 1, 1)),          # into an empty file
        (b'old\n', b'', (1, 1, 0, 0)),          # everything removed
        (b'a\nb\n', b'a\nx\nb\n', (1, 2, 1, 3)),  # an insertion with context
    ])
    def test_empty_ranges_are_written_as_unified_diffs_write_them(self, expected, actual, ranges):
        [hunk] = line_diff(text(expected), text(actual)).hunks
        assert (hunk.expected_start, hunk.expected_lines, hunk.actual_start, hunk.actual_lines) == ranges
        header = unified_diff(text(expected), text(actual), 'a', 'b').split(b'\n')[2].decode()
        start = f'{ranges[0]},{ranges[1]}' if ranges[1] != 1 else f'{ranges[0]}'
        assert header.startswith(f'@@ -{start} '), header

    def test_line_endings_alone(self):
        diff = line_diff(text(b'a\r\nb\r\n'), text(b'a\nb\n'))
        assert (diff.removed_lines, diff.added_lines) == (2, 2)
        kinds = [(line.kind.value, line.text, line.eol) for line in diff.hunks[0].lines]
        assert kinds == [('removed', 'a', '\r\n'), ('removed', 'b', '\r\n'), ('added', 'a', '\n'),
                         ('added', 'b', '\n')]

    def test_a_missing_final_line_end(self):
        [hunk] = line_diff(text(b'a\nb\n'), text(b'a\nb')).hunks
        assert [(line.kind.value, line.eol) for line in hunk.lines] == [
            ('context', '\n'), ('removed', '\n'), ('added', '')]

    def test_lines_are_compared_as_bytes_whatever_the_encodings(self):
        expected, actual = text('é\nsame\n'.encode('cp1252')), text('é\nsame\n'.encode())
        assert (expected.encoding, actual.encoding) == ('cp1252', 'utf-8')
        [hunk] = line_diff(expected, actual).hunks
        assert [(line.kind.value, line.text) for line in hunk.lines] == [
            ('removed', 'é'), ('added', 'é'), ('context', 'same')]

    @pytest.mark.parametrize('context', [0, 1, 3, 20])
    def test_context(self, context):
        lines = [f'line {n}\n' for n in range(100)]
        changed = list(lines)
        changed[50] = 'changed\n'
        [hunk] = line_diff(text(''.join(lines).encode()), text(''.join(changed).encode()), context).hunks
        assert sum(line.kind is LineKind.context for line in hunk.lines) == 2 * context
        assert hunk.expected_start == 51 - context

    def test_truncated_at_the_line_limit_with_whole_counts(self):
        expected = ''.join(f'{n}\n' for n in range(1000)).encode()
        actual = ''.join(f'{n}\n' if n % 10 else f'{n} changed\n' for n in range(1000)).encode()
        whole = line_diff(text(expected), text(actual), context=0)
        cut = line_diff(text(expected), text(actual), context=0, max_lines=25)
        assert (whole.hunk_count, whole.added_lines, whole.truncated) == (100, 100, False)
        assert (cut.hunk_count, cut.added_lines, cut.removed_lines, cut.truncated) == (100, 100, 100, True)
        assert sum(len(hunk.lines) for hunk in cut.hunks) == 25
        assert len(cut.hunks) == 13 and len(cut.hunks[-1].lines) == 1  # the last hunk cut, its ranges recounted
        assert (cut.hunks[-1].expected_lines, cut.hunks[-1].actual_lines) == (1, 0)
        assert cut.hunks[:12] == whole.hunks[:12]

    def test_a_first_hunk_longer_than_the_limit_is_cut(self):
        cut = line_diff(text(b'a\n' * 50), text(b'b\n' * 50), max_lines=10)
        assert cut.truncated and len(cut.hunks) == 1 and len(cut.hunks[0].lines) == 10

    def test_moved_and_repeated_lines(self):
        expected = b'header\n\n\nx\n\n\ny\nfooter\n'
        actual = b'header\n\ny\n\n\nx\nfooter\n\n'
        assert apply(text(expected), line_diff(text(expected), text(actual)).hunks, 'utf-8') == actual


def files(alphabet: str = 'ab\r\n\u00e9'):
    """Pairs of generated files: a baseline of short lines, and an actual output edited from it."""
    line = st.text(alphabet=alphabet, max_size=6)
    return st.lists(line, max_size=40).flatmap(lambda lines: st.tuples(
        st.just(''.join(lines)),
        st.lists(st.one_of(st.sampled_from(lines or ['']), line), max_size=40).map(''.join)))


class PropertyTests:
    """On generated files: the hunks give the actual output, and patch does too."""

    @settings(max_examples=300, deadline=None)
    @given(pair=files(), encodings=st.sampled_from([('utf-8', 'utf-8'), ('cp1252', 'cp1252'), ('cp1252', 'utf-8')]),
           context=st.integers(0, 5))
    def test_the_hunks_applied_to_the_baseline_give_the_actual_output(self, pair, encodings, context):
        expected_data, actual_data = pair[0].encode(encodings[0]), pair[1].encode(encodings[1])
        expected, actual = read_text(expected_data), read_text(actual_data)
        assert expected is not None and actual is not None
        diff = line_diff(expected, actual, context)
        assert apply(expected, diff.hunks, actual.encoding) == actual_data
        assert diff.added_lines == sum(line.kind is LineKind.added for hunk in diff.hunks for line in hunk.lines)
        assert diff.removed_lines == sum(line.kind is LineKind.removed for hunk in diff.hunks for line in hunk.lines)
        # The unified diff has the same hunks.
        headers = re.findall(rb'^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@$', unified_diff(
            expected, actual, 'a', 'b', context), re.MULTILINE)
        assert [(int(a), int(b or 1), int(c), int(d or 1)) for a, b, c, d in headers] == [
            (h.expected_start, h.expected_lines, h.actual_start, h.actual_lines) for h in diff.hunks]

    @pytest.mark.skipif(PATCH is None, reason='no patch binary')
    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(pair=files(), context=st.integers(0, 4))
    def test_patch_applies_the_unified_diff(self, tmp_path, pair, context):
        expected_data, actual_data = pair[0].encode(), pair[1].encode()
        expected, actual = read_text(expected_data), read_text(actual_data)
        assert expected is not None and actual is not None
        (tmp_path / 'expected.srt').write_bytes(expected_data)
        body = unified_diff(expected, actual, 'expected/x.srt', 'actual/x.srt', context)
        if not body:
            assert expected_data == actual_data
            return
        (tmp_path / 'diff').write_bytes(body)
        done = subprocess.run([str(PATCH), '--quiet', '--force', '-o', str(tmp_path / 'patched'),
                               str(tmp_path / 'expected.srt'), str(tmp_path / 'diff')], capture_output=True)
        assert done.returncode == 0, done.stdout + done.stderr
        assert (tmp_path / 'patched').read_bytes() == actual_data


class ScaleTests:
    """Changes spread through a long file are found exactly (difflib alone is quadratic there)."""

    def test_ten_thousand_lines_five_percent_changed(self):
        lines = [f'{n // 4 + 1}\n' if n % 4 == 0 else f'text {n}\n' if n % 4 == 2 else '\n' if n % 4 == 3
                 else f'00:00:{n % 60:02d},000 --> 00:00:{n % 60:02d},500\n' for n in range(10000)]
        changed = [f'changed {line}' if n % 20 == 7 else line for n, line in enumerate(lines)]
        expected, actual = text(''.join(lines).encode()), text(''.join(changed).encode())
        diff = line_diff(expected, actual, context=0)
        assert (diff.added_lines, diff.removed_lines, diff.hunk_count) == (500, 500, 500)
        assert apply(expected, diff.hunks, 'utf-8') == ''.join(changed).encode()

    @pytest.mark.parametrize('vocabulary', [20, 200, 2000])
    def test_long_stretches_of_repeated_lines(self, vocabulary):
        # Too long for difflib at once, and no line unique on both sides: matched part by part.
        chooser = random.Random(vocabulary)
        words = [f'line {n}\n' for n in range(vocabulary)]
        old = [chooser.choice(words) for _ in range(12000)]
        new = list(old)
        for index in chooser.sample(range(len(new)), 300):
            new[index] = chooser.choice(words)
        new[6000:6000] = ['a line of its own\n']
        expected, actual = text(''.join(old).encode()), text(''.join(new).encode())
        diff = line_diff(expected, actual, context=2)
        assert apply(expected, diff.hunks, 'utf-8') == ''.join(new).encode()
        unified = unified_diff(expected, actual, 'a', 'b')
        assert unified.count(b'\n+') - 1 == diff.added_lines
        if vocabulary >= 200:  # with fewer distinct lines, difflib takes each as junk (too frequent to match on)
            assert diff.added_lines < 1000
