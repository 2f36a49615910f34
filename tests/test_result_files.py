"""Where result files are (mod_api/result_files.py): validated names, confinement, links, the sides of an output.

Whatever a row holds (a crafted hash or extension) and whatever links lie in
the results folder, nothing outside ``TestResults`` (or ``LogFiles``) as they
resolve is ever found.
"""

import hashlib
import os

import pytest

from mod_api.result_files import (Missing, log_file, open_located,
                                  output_sides, read_at_most, result_file)
from mod_api.verdicts import Output, ResultFile

CONTENT = b'1\n00:00:01,000 --> 00:00:02,000\nHello\n'
HASH = hashlib.sha256(CONTENT).hexdigest()
OTHER = hashlib.sha256(b'other').hexdigest()


@pytest.fixture
def root(tmp_path):
    """A results root with one stored file and one log, and a secret beside it."""
    (tmp_path / 'repository' / 'TestResults').mkdir(parents=True)
    (tmp_path / 'repository' / 'LogFiles').mkdir()
    (tmp_path / 'repository' / 'TestResults' / f'{HASH}.srt').write_bytes(CONTENT)
    (tmp_path / 'repository' / 'LogFiles' / '7.txt').write_bytes(b'log\n')
    (tmp_path / 'secret.srt').write_bytes(b'not to be served')
    return str(tmp_path / 'repository')


class ValidatedNameTests:
    """Paths are built from a 64-digit hexadecimal hash and a strict extension only."""

    def test_a_stored_file(self, root):
        side = result_file(root, HASH, '.srt')
        assert (side.hash, side.filename, side.reason, side.available) == (HASH, f'{HASH}.srt', None, True)
        assert side.file is not None and side.file.size == len(CONTENT)
        assert read_at_most(side.file, 1000) == CONTENT

    @pytest.mark.parametrize('stored', [
        '../secret', '../../etc/passwd', f'{HASH}/../../secret', f'../{HASH}', '/etc/passwd', HASH[:63],
        HASH + '0', HASH.replace('a', 'g'), 'test1', 'error', ' ' + HASH, HASH + '\n', HASH + '\x00',
    ])
    def test_crafted_hashes_name_no_file(self, root, stored):
        side = result_file(root, stored, '.srt')
        assert (side.hash, side.filename, side.file, side.reason) == (None, None, None, Missing.not_a_hash)

    @pytest.mark.parametrize('extension', [
        '/../../secret.srt', '.srt/../../../secret', '/', '..', '.', '.srt.', '.sr t', '.srt\x00', 'srt',
        '.' + 'a' * 17, '.a.b.c', '.srt/', '\\..\\secret', '.s\u00e9t',
    ])
    def test_crafted_extensions_name_no_file(self, root, extension):
        side = result_file(root, HASH, extension)
        assert (side.hash, side.filename, side.file, side.reason) == (HASH, None, None, Missing.bad_extension)

    @pytest.mark.parametrize('extension', ['', '.srt', '.1.srt', '.XML', '.a' * 1 + 'b' * 15])
    def test_plain_extensions_are_looked_up(self, root, extension):
        assert result_file(root, HASH, extension).reason in (None, Missing.not_on_disk)

    def test_an_upper_case_hash_is_looked_up_as_stored(self, root):
        assert result_file(root, HASH.upper(), '.srt').reason is Missing.not_on_disk

    def test_no_hash_is_no_baseline(self, root):
        assert result_file(root, '', '.srt').reason is result_file(root, None, '.srt').reason is Missing.no_baseline

    def test_no_root(self):
        side = result_file(None, HASH, '.srt')
        assert (side.filename, side.file, side.reason) == (f'{HASH}.srt', None, Missing.no_results_root)
        assert log_file(None, 7) == (None, Missing.no_results_root)


class ConfinementTests:
    """Links are resolved; what resolves outside its folder, or is no regular file, is never found."""

    def test_a_link_out_of_the_folder_is_refused(self, root, tmp_path):
        os.symlink(tmp_path / 'secret.srt', os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        side = result_file(root, OTHER, '.srt')
        assert (side.file, side.reason) == (None, Missing.outside_root)

    def test_a_relative_link_out_of_the_folder_is_refused(self, root):
        os.symlink('../../secret.srt', os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        assert result_file(root, OTHER, '.srt').reason is Missing.outside_root

    def test_a_link_to_the_log_folder_is_refused(self, root):
        os.symlink(os.path.join(root, 'LogFiles', '7.txt'), os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        assert result_file(root, OTHER, '.srt').reason is Missing.outside_root

    def test_a_link_inside_the_folder_is_followed(self, root):
        os.symlink(f'{HASH}.srt', os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        side = result_file(root, OTHER, '.srt')
        assert side.file is not None and read_at_most(side.file, 1000) == CONTENT
        assert side.file.path.endswith(f'{HASH}.srt')  # the resolved file is the one opened

    def test_a_dangling_link_is_not_on_disk(self, root):
        os.symlink(f'{OTHER}.gone', os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        assert result_file(root, OTHER, '.srt').reason is Missing.not_on_disk

    def test_the_folder_itself_may_be_a_link(self, root, tmp_path):
        elsewhere = tmp_path / 'other-disk'
        os.rename(os.path.join(root, 'TestResults'), elsewhere)
        os.symlink(elsewhere, os.path.join(root, 'TestResults'))
        assert result_file(root, HASH, '.srt').available
        os.symlink(tmp_path / 'secret.srt', elsewhere / f'{OTHER}.srt')
        assert result_file(root, OTHER, '.srt').reason is Missing.outside_root

    def test_a_directory_or_a_fifo_is_no_file(self, root):
        os.mkdir(os.path.join(root, 'TestResults', f'{OTHER}.srt'))
        assert result_file(root, OTHER, '.srt').reason is Missing.not_on_disk
        third = hashlib.sha256(b'third').hexdigest()
        os.mkfifo(os.path.join(root, 'TestResults', f'{third}.srt'))
        assert result_file(root, third, '.srt').reason is Missing.not_on_disk

    def test_a_file_replaced_by_a_link_after_it_was_found_is_not_opened(self, root, tmp_path):
        side = result_file(root, HASH, '.srt')
        assert side.file is not None
        os.remove(side.file.path)
        os.symlink(tmp_path / 'secret.srt', side.file.path)
        with pytest.raises(FileNotFoundError):
            open_located(side.file)
        with pytest.raises(FileNotFoundError):
            read_at_most(side.file, 1000)

    def test_logs(self, root, tmp_path):
        located, missing = log_file(root, 7)
        assert missing is None and located is not None and located.size == 4
        assert log_file(root, 8) == (None, Missing.not_on_disk)
        os.symlink(tmp_path / 'secret.srt', os.path.join(root, 'LogFiles', '9.txt'))
        assert log_file(root, 9) == (None, Missing.outside_root)

    def test_reading_stops_at_the_limit(self, root):
        side = result_file(root, HASH, '.srt')
        assert side.file is not None
        assert read_at_most(side.file, len(CONTENT)) == CONTENT
        assert read_at_most(side.file, len(CONTENT) - 1) is None


class OutputSidesTests:
    """Which file stands for each side of an output, and why a side has none."""

    def test_a_differing_output(self, root):
        expected, actual = output_sides(root, Output(1, HASH, '.srt'), ResultFile(1, HASH, OTHER))
        assert (expected.hash, expected.available, expected.reason) == (HASH, True, None)
        assert (actual.hash, actual.available, actual.reason) == (OTHER, False, Missing.not_on_disk)

    def test_got_null_is_the_baselines_file(self, root):
        expected, actual = output_sides(root, Output(1, HASH, '.srt'), ResultFile(1, HASH, None))
        assert (actual.hash, actual.filename, actual.file, actual.reason) == (
            HASH, expected.filename, expected.file, Missing.got_null)
        assert actual.available

    def test_no_row(self, root):
        expected, actual = output_sides(root, Output(1, HASH, '.srt'), None)
        assert expected.available and (actual.hash, actual.file, actual.reason) == (None, None, Missing.no_row)

    def test_the_baseline_of_the_time_of_the_run(self, root):
        expected, _ = output_sides(root, Output(1, OTHER, '.srt'), ResultFile(1, HASH, OTHER))
        assert expected.hash == HASH and expected.available

    @pytest.mark.parametrize('got', ['', 'error', '../secret'])
    def test_a_got_that_is_no_hash(self, root, got):
        _, actual = output_sides(root, Output(1, HASH, '.srt'), ResultFile(1, HASH, got))
        assert (actual.hash, actual.file, actual.reason) == (None, None, Missing.not_a_hash)

    def test_no_baseline(self, root):
        expected, actual = output_sides(root, Output(1, '', '.srt'), ResultFile(1, '', OTHER))
        assert (expected.reason, actual.hash) == (Missing.no_baseline, OTHER)
