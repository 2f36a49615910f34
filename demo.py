"""Demo data for the standalone host: a few realistic runs where every verdict appears.

Not part of ``mod_api``: a platform deployment has real data. The runs:

1. a completed commit run on linux, where every status of a finished run
   shows up (pass, pass through an accepted variant, a crash, a differing
   output, a missing output, a missing output among present ones, an output
   without a baseline, a test never run, an ignored output, a stray row);
2. a pull-request run on windows still testing (a subtitle that differs, running and not started);
3. a canceled run;
4. a customized run that an account asked for, with two tests;
5. a queued run.

Where the standalone host keeps result files (its ``SAMPLE_REPOSITORY``,
``instance/repository``), the demo writes real-looking ones, named by their
sha256 as the platform names them: subtitle baselines with a differing actual
output, an accepted variant, a crash's cut-short output, TTML, a binary
(PNG) output, and the CI logs of the finished runs. It writes nothing else,
and nowhere else.
"""

from __future__ import annotations

import datetime
import hashlib
import os
import struct
import zlib
from typing import Dict, List, Optional

from flask import current_app, has_app_context
from sqlalchemy.orm import Session

from database import EnumSymbol
from mod_auth.models import Role, User
from mod_customized.models import CustomizedTest, TestFork
from mod_regression.models import (Category, InputType, OutputType,
                                   RegressionTest, RegressionTestOutput,
                                   RegressionTestOutputFiles,
                                   regressionTestLinkTable)
from mod_sample.models import Sample, Tag, sample_tag_association
from mod_test.models import (Fork, Test, TestPlatform, TestProgress,
                             TestResult, TestResultFile, TestStatus, TestType)

START = datetime.datetime(2026, 11, 20, 14, 0, 0)


def sha(text: str) -> str:
    """Return a stand-in sha256 for a file whose content is ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()


def _progress(session: Session, run: Test, *steps: EnumSymbol) -> None:
    for minutes, status in enumerate(steps):
        at = START + datetime.timedelta(hours=run.id - 1, minutes=7 * minutes)  # each run an hour after the last
        session.add(TestProgress(test_id=run.id, status=status, timestamp=at, message=f'{status.value.capitalize()}.'))


CUES = [
    ('00:00:01,000', '00:00:03,480', '[MUSIC PLAYING]'),
    ('00:00:04,120', '00:00:06,890', 'Good evening, and welcome\nto the six o\'clock news.'),
    ('00:00:07,010', '00:00:09,950', 'Our top story tonight:\nthe river has burst its banks.'),
    ('00:00:10,200', '00:00:13,100', 'Residents of the valley\nwere told to leave their homes.'),
    ('00:00:13,400', '00:00:16,020', '"We lost everything,"\nsaid one farmer.'),
    ('00:00:16,500', '00:00:19,330', 'Emergency crews worked\nthrough the night.'),
    ('00:00:19,800', '00:00:22,640', 'In other news, the city council\nvoted on the new budget.'),
    ('00:00:23,000', '00:00:25,900', 'The vote was close:\nseven to six.'),
    ('00:00:26,300', '00:00:29,010', 'And now, the weather.'),
    ('00:00:29,500', '00:00:32,750', 'Expect more rain tomorrow,\nclearing by the weekend.'),
]


def _srt(cues: List[tuple]) -> bytes:
    return ''.join(f'{n}\n{start} --> {end}\n{text}\n\n' for n, (start, end, text) in enumerate(cues, 1)).encode()


def _ttml(cues: List[tuple]) -> bytes:
    body = ''.join(f'      <p begin="{start.replace(",", ".")}" end="{end.replace(",", ".")}">'
                   f'{text.replace(chr(10), "<br/>").replace("&", "&amp;")}</p>\n' for start, end, text in cues)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<tt xmlns="http://www.w3.org/ns/ttml" xml:lang="en">\n'
            f'  <body>\n    <div>\n{body}    </div>\n  </body>\n</tt>\n').encode()


def _png(rgb: bytes) -> bytes:
    """Make a valid 2x2 PNG of one colour: the kind of file -out=spupng writes."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data))
    rows = b''.join(b'\x00' + rgb * 2 for _ in range(2))
    header = chunk(b'IHDR', struct.pack('>IIBBBBB', 2, 2, 8, 2, 0, 0, 0))
    return b''.join([b'\x89PNG\r\n\x1a\n', header, chunk(b'IDAT', zlib.compress(rows)), chunk(b'IEND', b'')])


class _Files:
    """The demo's result files, written under the host's SAMPLE_REPOSITORY (none without one)."""

    def __init__(self, repository: Optional[str]) -> None:
        self.repository = repository

    def put(self, content: bytes, extension: str) -> str:
        """Store a result file as the platform does, TestResults/<sha256><extension>; return its hash."""
        name = hashlib.sha256(content).hexdigest()
        if self.repository:
            folder = os.path.join(self.repository, 'TestResults')
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f'{name}{extension}'), 'wb') as stored:
                stored.write(content)
        return name

    def log(self, run_id: int, lines: List[str]) -> None:
        """Store a run's CI log as LogFiles/<run id>.txt."""
        if self.repository:
            folder = os.path.join(self.repository, 'LogFiles')
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, f'{run_id}.txt'), 'w', encoding='utf-8') as stored:
                stored.write(''.join(f'{START:%Y-%m-%d %H:%M}:{n % 60:02d} {line}\n' for n, line in enumerate(lines)))


def _repository() -> Optional[str]:
    return current_app.config.get('SAMPLE_REPOSITORY') if has_app_context() else None


def seed(session: Session, repository: Optional[str] = None) -> Dict[str, int]:
    """Fill an empty database with the demo runs; return the ids worth trying.

    Result files go to ``repository``, by default the current app's
    ``SAMPLE_REPOSITORY`` (none outside an app).
    """
    files = _Files(repository or _repository())
    # ``password`` may not be NULL in the platform; '' (no password set) is what its own constructor defaults to.
    maintainer = User(id=1, name='carol', email='carol@example.org', password='', role=Role.admin)
    contributor = User(id=2, name='dev-ana', email='ana@example.org', password='', role=Role.contributor)
    session.add_all([maintainer, contributor])
    upstream = Fork(id=1, github='https://github.com/CCExtractor/ccextractor.git')
    fork = Fork(id=2, github='https://github.com/dev-ana/ccextractor.git')
    session.add_all([upstream, fork])

    categories = {name: Category(name=name, description=f'{name} samples') for name in
                  ('Broken', 'DVB', 'DVD', 'General', 'Teletext', 'XDS')}
    tags = {name: Tag(name=name, description=f'{name} samples') for name in
            ('atsc', 'bbc', 'cea-608', 'cea-708', 'mp4', 'ts', 'wtv')}
    session.add_all([*categories.values(), *tags.values()])
    session.flush()

    samples: List[Sample] = []
    for number, (extension, sample_tags) in enumerate([
            ('ts', ['ts', 'atsc', 'cea-708']), ('mp4', ['mp4', 'cea-608']), ('wtv', ['wtv']),
            ('ts', ['ts', 'bbc']), ('mpg', []), ('ts', ['ts', 'cea-608'])], start=1):
        sample = Sample(id=number, sha=sha(f'sample {number}'), extension=extension,
                        original_name=f'sample_{number}.{extension}')
        session.add(sample)
        session.flush()
        for tag in sample_tags:
            session.execute(sample_tag_association.insert().values(sample_id=sample.id, tag_id=tags[tag].id))
        samples.append(sample)

    # (sample, command, categories, number of outputs, active)
    specs = [
        (1, '-autoprogram -out=srt -latin1', ['General', 'DVB'], 1, True),        # 1 pass
        (1, '-autoprogram -out=ttxt', ['General'], 1, True),                      # 2 pass via variant
        (2, '-out=srt -stdout', ['DVD'], 1, True),                                # 3 crash
        (3, '-wtvconvertfix -out=srt', ['Broken'], 2, True),                      # 4 output differs
        (4, '-teletext -tpage 888 -out=srt', ['Teletext'], 1, True),              # 5 no output produced
        (5, '-xds -out=srt', ['XDS'], 2, True),                                   # 6 one of two outputs missing
        (6, '-out=webvtt', [], 1, True),                                          # 7 no baseline
        (6, '-out=null', ['General'], 0, True),                                   # 8 never ran, no outputs
        (2, '-out=srt -ucla', ['DVD'], 2, True),                                  # 9 pass, one output ignored
        (3, '-out=spupng', ['General'], 1, False),                                # 10 inactive
    ]
    tests: List[RegressionTest] = []
    for sample_id, command, names, outputs, active in specs:
        test = RegressionTest(sample_id=sample_id, command=command, input_type=InputType.file,
                              output_type=OutputType.file, expected_rc=0, active=active,
                              description=f'{command} on sample {sample_id}')
        session.add(test)
        session.flush()
        for name in names:
            session.execute(regressionTestLinkTable.insert().values(regression_id=test.id,
                                                                    category_id=categories[name].id))
        for index in range(outputs):
            extension = '.srt' if index == 0 else '.xml'
            session.add(RegressionTestOutput(regression_id=test.id, correct=sha(f'baseline {test.id}.{index}'),
                                             correct_extension=extension, expected_filename=f'out{index}{extension}',
                                             ignore=False))
        tests.append(test)
    session.flush()
    outputs_of: Dict[int, List[RegressionTestOutput]] = {t.id: [] for t in tests}
    for output in session.query(RegressionTestOutput).order_by(RegressionTestOutput.id):
        if output.regression_id is not None:  # nullable in the platform; every demo output has its test
            outputs_of[output.regression_id].append(output)

    # Test 7 has no baseline; test 9's second output is ignored; test 2 has an accepted variant.
    outputs_of[tests[6].id][0].correct = ''
    outputs_of[tests[8].id][1].ignore = True
    # Real files for the outputs worth a diff: subtitles (SRT, TTML) and a PNG of -out=spupng (test 10).
    news, late = _srt(CUES), _srt([(start, end, text.replace('river', 'River Severn')) if n == 2 else
                                   (start[:-3] + '200', end, text) if n == 5 else (start, end, text)
                                   for n, (start, end, text) in enumerate(CUES)])
    variant = files.put(news.replace(b'Good evening, and welcome\nto', b'Good evening,\nand welcome to'), '.srt')
    for index in (0, 1, 2):
        outputs_of[tests[index].id][0].correct = files.put(news, '.srt')
    outputs_of[tests[3].id][0].correct = files.put(_srt(CUES[:5]), '.srt')
    outputs_of[tests[3].id][1].correct = files.put(_ttml(CUES), '.xml')
    ttml_differs = files.put(_ttml([*CUES[:7], (CUES[7][0], '00:00:26,100', 'The vote was close: 7 to 6.'),
                                    *CUES[8:]]), '.xml')
    outputs_of[tests[9].id][0].correct_extension = '.png'
    outputs_of[tests[9].id][0].expected_filename = 'out0.png'
    outputs_of[tests[9].id][0].correct = files.put(_png(b'\x10\x20\x30'), '.png')
    spupng_drift = files.put(_png(b'\x10\x20\x31'), '.png')
    session.add(RegressionTestOutputFiles(regression_test_output_id=outputs_of[tests[1].id][0].id,
                                          file_hashes=variant))

    def result(run: Test, test: RegressionTest, exit_code: int = 0, runtime: int = 1200) -> None:
        session.add(TestResult(test_id=run.id, regression_test_id=test.id, runtime=runtime, exit_code=exit_code,
                               expected_rc=test.expected_rc))

    def reported(run: Test, test: RegressionTest, index: int, got: str | None = None) -> None:
        output = outputs_of[test.id][index]
        session.add(TestResultFile(test_id=run.id, regression_test_id=test.id,
                                   regression_test_output_id=output.id, expected=output.correct or '', got=got))

    def matched(run: Test, *matching: RegressionTest) -> None:
        """Record that each of ``matching`` ran in ``run`` and produced its baselines."""
        for test in matching:
            result(run, test)
            for index in range(len(outputs_of[test.id])):
                reported(run, test, index)

    def new_run(run_id: int, platform: EnumSymbol, kind: EnumSymbol, **fields: object) -> Test:
        run = Test(id=run_id, platform=platform, test_type=kind, token=sha(f'run {run_id}')[:64], fork_id=1,
                   branch='master', commit=sha(f'commit {run_id}')[:40], pr_nr=0)
        for name, value in fields.items():
            setattr(run, name, value)
        session.add(run)
        session.flush()
        return run

    # Run 1: completed, every verdict of a finished run.
    done = new_run(1, TestPlatform.linux, TestType.commit)
    _progress(session, done, TestStatus.preparation, TestStatus.testing, TestStatus.completed)
    t = tests
    result(done, t[0])
    reported(done, t[0], 0)
    result(done, t[1])
    reported(done, t[1], 0, got=variant)
    cut_short = files.put(_srt(CUES[:3])[:-30], '.srt')  # what a crash leaves of the output
    result(done, t[2], exit_code=-11, runtime=35)
    reported(done, t[2], 0, got=cut_short)
    result(done, t[3])
    reported(done, t[3], 0)
    reported(done, t[3], 1, got=ttml_differs)
    result(done, t[4], runtime=800)
    result(done, t[5])
    reported(done, t[5], 0)
    unjudged = files.put(_srt(CUES[:2]), '.srt')  # test 7's output, which has no baseline to be judged by
    result(done, t[6])
    reported(done, t[6], 0, got=unjudged)
    result(done, t[8])
    reported(done, t[8], 0)
    reported(done, t[8], 1, got=sha('ignored'))

    # Run 2: a pull request still testing.
    testing = new_run(2, TestPlatform.windows, TestType.pull_request, pr_nr=1642, branch='fix-708', fork_id=2)
    _progress(session, testing, TestStatus.preparation, TestStatus.testing)
    result(testing, t[0])
    reported(testing, t[0], 0, got=files.put(late, '.srt'))  # the pull request changed a caption and a timing
    reported(testing, t[3], 0)
    result(testing, t[2])
    reported(testing, t[2], 0)

    # Run 3: canceled after two tests.
    canceled = new_run(3, TestPlatform.linux, TestType.commit, branch='release-0.95')
    _progress(session, canceled, TestStatus.preparation, TestStatus.testing, TestStatus.canceled)
    result(canceled, t[0])
    reported(canceled, t[0], 0)
    result(canceled, t[1])
    reported(canceled, t[1], 0)

    # Run 4: customized, asked for by an account, two tests (one now inactive).
    custom = new_run(4, TestPlatform.linux, TestType.commit, branch='dev-ana/teletext', fork_id=2)
    _progress(session, custom, TestStatus.preparation, TestStatus.testing, TestStatus.completed)
    session.add(TestFork(user_id=contributor.id, test_id=custom.id))
    for test in (t[4], t[9]):
        session.add(CustomizedTest(test_id=custom.id, regression_id=test.id))
    result(custom, t[4])
    reported(custom, t[4], 0)
    result(custom, t[9])
    reported(custom, t[9], 0, got=spupng_drift)

    # Run 5: queued.
    new_run(5, TestPlatform.windows, TestType.commit, branch='master')

    # Run 6: the next completed master run on Linux: test 5 now passes, the other failures fail as in run 1.
    master = new_run(6, TestPlatform.linux, TestType.commit)
    _progress(session, master, TestStatus.preparation, TestStatus.testing, TestStatus.completed)
    matched(master, t[0], t[4], t[8])
    result(master, t[1])
    reported(master, t[1], 0, got=variant)
    result(master, t[2], exit_code=-11, runtime=35)
    reported(master, t[2], 0, got=cut_short)
    result(master, t[3])
    reported(master, t[3], 0)
    reported(master, t[3], 1, got=ttml_differs)
    result(master, t[5])
    reported(master, t[5], 0)
    result(master, t[6])
    reported(master, t[6], 0, got=unjudged)

    # Run 7: a completed pull request on Linux, compared with run 6 (the master run completed last): it breaks
    # test 1, fixes test 4, fails test 3 and test 7 as master does, and test 6 differently.
    pull_request = new_run(7, TestPlatform.linux, TestType.pull_request, pr_nr=1650, branch='fix-608', fork_id=2)
    _progress(session, pull_request, TestStatus.preparation, TestStatus.testing, TestStatus.completed)
    result(pull_request, t[0])
    reported(pull_request, t[0], 0, got=files.put(late, '.srt'))
    matched(pull_request, t[3], t[4], t[8])
    result(pull_request, t[1])
    reported(pull_request, t[1], 0, got=variant)
    result(pull_request, t[2], exit_code=-11, runtime=35)
    reported(pull_request, t[2], 0, got=cut_short)
    result(pull_request, t[5])
    result(pull_request, t[6])
    reported(pull_request, t[6], 0, got=unjudged)
    session.commit()
    build = ['Cloning into \'ccextractor\'...', 'cmake ../src -DWITH_OCR=ON', '[100%] Built target ccextractor']
    ran = [f'Running regression test {test.id}: ccextractor {test.command}' for test in t[:9]]
    files.log(done.id, [*build, *ran, f'Regression test {t[2].id} exited with code -11 (Segmentation fault)',
                        'Done: 9 tests.'])
    files.log(canceled.id, [*build, *ran[:2], 'Canceled: the VM was stopped.'])
    return {'completed_run': done.id, 'testing_run': testing.id, 'failing_test': t[3].id,
            'master_run': master.id, 'pull_request_run': pull_request.id, 'crashing_test': t[2].id,
            'differing_output': outputs_of[t[3].id][1].id, 'account': maintainer.id}
