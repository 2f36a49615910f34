"""Lists over HTTP (issue, items 4 and 5): page links, several values per filter, sort, start times, absolute links.

The four lists (``GET /runs``, ``/runs/{id}/samples``, ``/runs/{id}/comparison``,
``/regression-tests/{id}/history``) answer a ``Link`` header (RFC 8288) and
``pagination.links`` with the same next, prev, first and last page: the
request's own URL, only ``offset`` changed. Every ``links`` value and every
``html_url`` is absolute. Every answer that goes through ``api`` is also
checked against the OpenAPI document.
"""

import datetime
import re
from typing import Any, Dict, List, Optional

import pytest
from werkzeug.middleware.proxy_fix import ProxyFix

from mod_api.links import page_offsets
from mod_test.models import TestPlatform, TestStatus, TestType
from tests.conftest import API_ROOT, Api, get_json, path_of
from tests.factories import T0, sha
from tests.test_outputs_http import configure

COMPLETED = (TestStatus.preparation, TestStatus.testing, TestStatus.completed)
TESTING = (TestStatus.preparation, TestStatus.testing)
CANCELED = (TestStatus.preparation, TestStatus.canceled)
HOUR = datetime.timedelta(hours=1)
WRONG = sha('a wrong output')
PLATFORM = 'http://localhost'


def header_links(response: Any) -> Dict[str, str]:
    """The ``Link`` header's URLs by relation, checked to be written exactly as RFC 8288 has it."""
    header = response.headers['Link']
    found = re.findall(r'<([^>]*)>; rel="([a-z]+)"', header)
    assert ', '.join(f'<{url}>; rel="{rel}"' for url, rel in found) == header, header
    return {rel: url for url, rel in found}


def paged(api: Api, path: str) -> Dict[str, Any]:
    """GET a page of a list; check that its ``Link`` header and ``pagination.links`` say the same; return the body."""
    response = api.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.json
    links = body['pagination']['links']
    assert list(links) == ['next', 'prev', 'first', 'last']
    assert header_links(response) == {rel: url for rel, url in links.items() if url is not None}
    # The header lists the relations in the body's order.
    assert list(header_links(response)) == [rel for rel, url in links.items() if url is not None]
    return body


def page_urls(path: str, next_: Optional[int], prev: Optional[int], last: int) -> Dict[str, Optional[str]]:
    """The links a page of ``path`` (its query without offset) must give."""
    joiner = '&' if '?' in path else '?'

    def url(offset: Optional[int]) -> Optional[str]:
        return None if offset is None else f'{API_ROOT}{path}{joiner}offset={offset}'
    return {'next': url(next_), 'prev': url(prev), 'first': url(0), 'last': url(last)}


def ids(body: Dict[str, Any], key: str) -> List[int]:
    """The ids of a page's items."""
    return [item[key] for item in body['data']]


def invalid(api: Api, path: str, parameter: str) -> Dict[str, Any]:
    """Check that ``path`` answers 400 ``invalid_parameter`` naming ``parameter`` in the query; return the body."""
    body = get_json(api, path, status=400)
    assert body['code'] == 'invalid_parameter'
    assert (body['details']['parameter'], body['details']['in']) == (parameter, 'query')
    assert parameter in body['message']
    return body


def started(factory, at: datetime.datetime, states=COMPLETED, **kwargs):
    """A run whose first progress row is at ``at``, the next ones a minute apart."""
    run = factory.run((), **kwargs)
    for index, state in enumerate(states):
        factory.progress(run, state, at + index * datetime.timedelta(minutes=1))
    return run


def passed(factory, run, test):
    """The test matched every baseline in ``run``."""
    factory.finished(run, test)


def failed(factory, run, test):
    """The test ran in ``run`` and produced a wrong output."""
    for output in factory.outputs(test):
        factory.reported(run, test, output, got=WRONG)
    factory.result(run, test)


# --- where a page's links point ---------------------------------------------------------------------------------------

class PageOffsetTests:
    """``links.page_offsets``: the offsets of the pages around a page, as a table."""

    @pytest.mark.parametrize('limit, offset, total, expected', [
        #  limit offset total    next  prev first last
        (20, 0, 0, (None, None, 0, 0)),  # an empty list: one page, empty
        (20, 0, 5, (None, None, 0, 0)),  # one page
        (2, 0, 5, (2, None, 0, 4)),  # the first page
        (2, 2, 5, (4, 0, 0, 4)),  # a middle page
        (2, 4, 5, (None, 2, 0, 4)),  # the last page, not full
        (2, 4, 6, (None, 2, 0, 4)),  # the last page, full
        (2, 3, 5, (None, 1, 0, 4)),  # an offset off the grid: prev and next step by limit from it
        (2, 1, 5, (3, 0, 0, 4)),  # prev never goes below 0
        (20, 5, 5, (None, 0, 0, 0)),  # just past the end: prev leads back into the list
        (2, 100, 5, (None, 4, 0, 4)),  # far past the end: prev is the last page
        (3, 9, 9, (None, 6, 0, 6)),
    ])
    def test_offsets(self, limit, offset, total, expected):
        assert tuple(page_offsets(limit, offset, total).values()) == expected


class PageLinkTests:
    """Each list: first, middle and last page; an empty list; the filters and the limit kept."""

    def test_runs(self, api, factory):
        made = [factory.run(COMPLETED, branch='paged') for _ in range(5)]
        factory.run(COMPLETED, branch='other')
        factory.commit()
        newest_first = [run.id for run in reversed(made)]
        path = '/runs?branch=paged&limit=2'
        first = paged(api, path)
        assert ids(first, 'run_id') == newest_first[:2]
        assert first['pagination']['links'] == page_urls(path, 2, None, 4)
        middle = paged(api, f'{path}&offset=2')
        assert ids(middle, 'run_id') == newest_first[2:4]
        assert middle['pagination']['links'] == page_urls(path, 4, 0, 4)
        last = paged(api, f'{path}&offset=4')
        assert ids(last, 'run_id') == newest_first[4:]
        assert last['pagination']['links'] == page_urls(path, None, 2, 4)

    def test_results(self, api, factory):
        tests = [factory.regression_test() for _ in range(6)]
        run = factory.run(COMPLETED)
        for index, test in enumerate(tests):
            (passed if index % 3 else failed)(factory, run, test)
        factory.commit()
        passing = [test.id for index, test in enumerate(tests) if index % 3]
        path = f'/runs/{run.id}/samples?status=pass&limit=3'
        first = paged(api, path)
        assert (ids(first, 'regression_id'), first['pagination']['total']) == (passing[:3], 4)
        assert first['pagination']['links'] == page_urls(path, 3, None, 3)
        last = paged(api, f'{path}&offset=3')
        assert ids(last, 'regression_id') == passing[3:]
        assert last['pagination']['links'] == page_urls(path, None, 0, 3)

    def test_comparison(self, api, factory):
        tests = [factory.regression_test() for _ in range(5)]
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        for test in tests:
            passed(factory, base, test)
            passed(factory, run, test)
        factory.commit()
        path = f'/runs/{run.id}/comparison?kind=unchanged_pass&limit=2'
        pages = [paged(api, f'{path}&offset={offset}') for offset in (0, 2, 4)]
        assert [ids(page, 'regression_id') for page in pages] == [[t.id for t in tests[i:i + 2]] for i in (0, 2, 4)]
        assert [page['pagination']['links'] for page in pages] == [
            page_urls(path, 2, None, 4), page_urls(path, 4, 0, 4), page_urls(path, None, 2, 4)]

    def test_history(self, api, factory):
        test = factory.regression_test()
        made = []
        for _ in range(5):
            made.append(factory.run(COMPLETED))
            passed(factory, made[-1], test)
        factory.commit()
        path = f'/regression-tests/{test.id}/history?platform=linux&limit=2'
        middle = paged(api, f'{path}&offset=2')
        assert ids(middle, 'run_id') == [made[2].id, made[1].id]
        assert middle['pagination']['links'] == page_urls(path, 4, 0, 4)
        assert paged(api, path)['pagination']['links'] == page_urls(path, 2, None, 4)
        assert paged(api, f'{path}&offset=4')['pagination']['links'] == page_urls(path, None, 2, 4)

    def test_empty_lists(self, api, factory):
        test = factory.regression_test(active=False)  # in no run's scope
        run = factory.run(())
        factory.commit()
        for path in ('/runs?branch=nowhere', f'/runs/{run.id}/samples', f'/runs/{run.id}/comparison',
                     f'/regression-tests/{test.id}/history'):
            response = api.get(path)
            body = paged(api, path)
            assert (body['data'], body['pagination']['total']) == ([], 0), path
            assert body['pagination']['links'] == page_urls(path, None, None, 0), path
            assert set(header_links(response)) == {'first', 'last'}, path

    def test_following_next_reads_every_item_once(self, api, factory):
        made = [factory.run(COMPLETED) for _ in range(7)]
        factory.commit()
        seen: List[int] = []
        url: Optional[str] = f'{API_ROOT}/runs?limit=3'
        while url is not None:
            body = paged(api, path_of(url))
            seen += ids(body, 'run_id')
            url = body['pagination']['links']['next']
        assert seen == [run.id for run in reversed(made)]
        # And prev from the last page back to the first.
        url = paged(api, '/runs?limit=3&offset=6')['pagination']['links']['prev']
        back: List[int] = []
        while url is not None:
            body = paged(api, path_of(url))
            back = ids(body, 'run_id') + back
            url = body['pagination']['links']['prev']
        assert back == seen[:6]

    def test_the_query_is_kept_as_given_encoded(self, api, factory):
        wanted = factory.run(COMPLETED, branch='fix/a b&c')
        factory.run(COMPLETED, branch='fix/a b&c')
        factory.run(COMPLETED, branch='fix')
        factory.commit()
        body = paged(api, '/runs?branch=fix%2Fa%20b%26c&state=completed,canceled&limit=1&offset=1')
        assert ids(body, 'run_id') == [wanted.id]
        assert body['pagination']['links']['first'] == (
            f'{API_ROOT}/runs?branch=fix%2Fa%20b%26c&state=completed,canceled&limit=1&offset=0')
        assert ids(paged(api, path_of(body['pagination']['links']['first'])), 'run_id') != [wanted.id]
        assert ids(paged(api, path_of(body['pagination']['links']['last'])), 'run_id') == [wanted.id]

    def test_the_default_limit_is_left_implicit(self, api, factory):
        for _ in range(21):
            factory.run(COMPLETED)
        factory.commit()
        assert paged(api, '/runs')['pagination']['links'] == page_urls('/runs', 20, None, 20)

    def test_no_link_header_elsewhere_or_on_a_304(self, api, factory):
        test = factory.regression_test()
        run = factory.run(COMPLETED)
        passed(factory, run, test)
        factory.commit()
        for path in (f'/runs/{run.id}', f'/runs/{run.id}/summary', f'/runs/{run.id}/samples/{test.id}'):
            assert 'Link' not in api.get(path).headers, path
        first = api.get('/runs')
        again = api.get('/runs', headers={'If-None-Match': first.headers['ETag']})
        assert again.status_code == 304 and 'Link' not in again.headers
        assert 'Link' not in api.get('/runs?limit=0').headers

    def test_the_document_describes_the_header_on_lists_only(self):
        document = Api.described()[0]
        lists = {'/runs', '/runs/{run_id}/samples', '/runs/{run_id}/comparison',
                 '/regression-tests/{regression_id}/history'}
        for path, operations in document['paths'].items():
            for method in ('get', 'head'):
                if method in operations:
                    headers = operations[method]['responses']['200'].get('headers', {})
                    assert ('Link' in headers) == (path in lists), (path, method)
                    if path in lists:
                        assert headers['Link']['required'] is True
        pagination = document['components']['schemas']['Pagination']
        assert 'links' in pagination['required']

    def test_browsers_may_read_the_header(self):
        from mod_api.cors import EXPOSED_HEADERS
        assert 'Link' in EXPOSED_HEADERS


# --- several values per filter ----------------------------------------------------------------------------------------

class SeveralValuesTests:
    """``status``, ``kind``, ``platform`` and ``state`` take several values, comma-separated: any of them."""

    @pytest.fixture
    def results(self, factory) -> Dict[str, Any]:
        """A completed run whose tests pass, fail, or have no output."""
        made = {name: factory.regression_test() for name in ('pass', 'fail', 'missing', 'pass2', 'fail2')}
        run = factory.run(COMPLETED)
        passed(factory, run, made['pass'])
        passed(factory, run, made['pass2'])
        failed(factory, run, made['fail'])
        failed(factory, run, made['fail2'])
        factory.result(run, made['missing'])  # a result, no output
        factory.commit()
        return {'run': run, **{name: test.id for name, test in made.items()}}

    def test_statuses(self, api, results):
        run = results['run']
        body = paged(api, f'/runs/{run.id}/samples?status=fail,missing_output')
        assert ids(body, 'regression_id') == [results['fail'], results['missing'], results['fail2']]
        assert body['pagination']['total'] == 3
        assert {item['status'] for item in body['data']} == {'fail', 'missing_output'}
        # The order the values are given in, and repeated values, change nothing.
        again = paged(api, f'/runs/{run.id}/samples?status=missing_output,fail,fail')
        assert again['data'] == body['data']
        everything = paged(api, f'/runs/{run.id}/samples?status=pass,fail,skipped,missing_output,running,not_started')
        assert everything['pagination']['total'] == 5

    def test_kinds(self, api, factory):
        tests = {name: factory.regression_test() for name in ('broken', 'fixed', 'same')}
        base = factory.run(COMPLETED)
        run = factory.run(COMPLETED)
        passed(factory, base, tests['broken'])
        failed(factory, run, tests['broken'])
        failed(factory, base, tests['fixed'])
        passed(factory, run, tests['fixed'])
        passed(factory, base, tests['same'])
        passed(factory, run, tests['same'])
        factory.commit()
        body = paged(api, f'/runs/{run.id}/comparison?kind=fixed_here,broken_here')
        assert [(item['regression_id'], item['kind']) for item in body['data']] == [
            (tests['broken'].id, 'broken_here'), (tests['fixed'].id, 'fixed_here')]
        assert body['pagination']['total'] == 2
        assert body['counts']['unchanged_pass'] == 1  # the counts stay over the whole run

    def test_platforms_and_states(self, api, factory):
        linux = factory.run(COMPLETED, platform=TestPlatform.linux)
        windows = factory.run(CANCELED, platform=TestPlatform.windows)
        queued = factory.run(())
        testing = factory.run(TESTING, platform=TestPlatform.windows)
        factory.commit()

        def listed(query: str) -> List[int]:
            return ids(paged(api, f'/runs?{query}'), 'run_id')

        assert listed('platform=linux,windows') == [testing.id, queued.id, windows.id, linux.id]
        assert listed('platform=windows,windows') == [testing.id, windows.id]
        assert listed('state=completed,canceled') == [windows.id, linux.id]
        assert listed('state=queued,completed') == [queued.id, linux.id]  # queued: no progress row at all
        assert listed('state=queued') == [queued.id]
        assert listed('state=queued,preparation,testing,completed,canceled') == [
            testing.id, queued.id, windows.id, linux.id]
        assert listed('platform=windows&state=testing,completed') == [testing.id]

    INVALID = [
        # path (run id filled in)         parameter  bad value
        ('/samples?status=pass,done', 'status', 'done'),
        ('/samples?status=fail,', 'status', ''),
        ('/samples?status=,fail', 'status', ''),
        ('/samples?status=', 'status', ''),
        ('/samples?status=PASS', 'status', 'PASS'),
        ('/samples?status=pass fail', 'status', 'pass fail'),
        ('/comparison?kind=broken_here,broken', 'kind', 'broken'),
        ('?platform=linux,mac', 'platform', 'mac'),
        ('?state=completed,Canceled', 'state', 'Canceled'),
    ]

    @pytest.mark.parametrize('path, parameter, value', INVALID)
    def test_a_bad_value_is_named(self, api, factory, path, parameter, value):
        run = factory.run(COMPLETED)
        factory.commit()
        url = f'/runs{path}' if path.startswith('?') else f'/runs/{run.id}{path}'
        body = invalid(api, url, parameter)
        assert body['details']['value'] == value
        assert repr(value) in body['message']
        assert body['details']['allowed']

    def test_a_repeated_parameter_is_still_refused(self, api, factory):
        run = factory.run(COMPLETED)
        factory.commit()
        for path in (f'/runs/{run.id}/samples?status=pass&status=fail', '/runs?state=completed&state=queued',
                     f'/runs/{run.id}/comparison?kind=broken_here&kind=fixed_here',
                     '/runs?platform=linux&platform=linux'):
            body = invalid(api, path, re.search(r'\?(\w+)=', path).group(1))
            assert 'more than once' in body['message']

    def test_the_statements_stay_as_many(self, api, factory, statements, results):
        run = results['run']
        factory.run(CANCELED)
        factory.commit()
        get_json(api, '/runs')  # the token's first use is recorded once: not counted

        def counted(paths: List[str]) -> List[int]:
            counts = []
            for path in paths:
                with statements() as seen:
                    get_json(api, path)
                counts.append(len(seen))
            return counts

        results_counts = counted([f'/runs/{run.id}/samples?status=fail', f'/runs/{run.id}/samples?status=fail,pass',
                                  f'/runs/{run.id}/samples?status=fail,pass&sort=-runtime'])
        assert len(set(results_counts)) == 1, results_counts
        runs_counts = counted(['/runs?state=completed', '/runs?state=completed,canceled,queued&platform=linux,windows',
                               '/runs?sort=started_at&started_after=2026-11-01&started_before=2026-11-02'])
        assert len(set(runs_counts)) == 1, runs_counts
        comparison_counts = counted([f'/runs/{run.id}/comparison?kind=fixed_here',
                                     f'/runs/{run.id}/comparison?kind=fixed_here,broken_here,unchanged_pass'])
        assert len(set(comparison_counts)) == 1, comparison_counts


# --- sort ------------------------------------------------------------------------------------------------------------

class RunSortTests:
    """``GET /runs?sort=``: by id or by start (the first progress row), runs not started last, ties by id descending."""

    @pytest.fixture
    def made(self, factory) -> Dict[str, Any]:
        runs = {
            'late': started(factory, T0 + 2 * HOUR),
            'early': started(factory, T0),
            'queued': factory.run(()),
            'tie_a': started(factory, T0 + HOUR),
            'tie_b': started(factory, T0 + HOUR),
            'queued_too': factory.run(()),
        }
        factory.commit()
        return {name: run.id for name, run in runs.items()}

    @pytest.mark.parametrize('sort, order', [
        ('-id', ['queued_too', 'tie_b', 'tie_a', 'queued', 'early', 'late']),
        ('id', ['late', 'early', 'queued', 'tie_a', 'tie_b', 'queued_too']),
        ('started_at', ['early', 'tie_b', 'tie_a', 'late', 'queued_too', 'queued']),
        ('-started_at', ['late', 'tie_b', 'tie_a', 'early', 'queued_too', 'queued']),
    ])
    def test_orders(self, api, made, sort, order):
        assert ids(paged(api, f'/runs?sort={sort}'), 'run_id') == [made[name] for name in order]
        # Applied before paging: the pages of the sorted list, kept in the links.
        first = paged(api, f'/runs?sort={sort}&limit=4')
        assert ids(first, 'run_id') == [made[name] for name in order[:4]]
        second = paged(api, path_of(first['pagination']['links']['next']))
        assert ids(second, 'run_id') == [made[name] for name in order[4:]]
        assert f'sort={sort}' in first['pagination']['links']['next']

    def test_the_default_is_newest_first(self, api, made):
        assert paged(api, '/runs')['data'] == paged(api, '/runs?sort=-id')['data']

    def test_sort_combines_with_filters(self, api, made):
        body = paged(api, '/runs?sort=started_at&state=completed&limit=2')
        assert ids(body, 'run_id') == [made['early'], made['tie_b']]
        assert body['pagination']['total'] == 4

    @pytest.mark.parametrize('value', ['newest', 'started', '+id', 'id,started_at', 'finished_at', 'runtime', ''])
    def test_invalid(self, api, value):
        body = invalid(api, f'/runs?sort={value}', 'sort')
        assert body['details']['allowed'] == ['id', '-id', 'started_at', '-started_at']


class ResultSortTests:
    """``GET /runs/{id}/samples?sort=``: by id or by runtime, runtime NULL last, ties by id ascending."""

    @pytest.fixture
    def made(self, factory) -> Dict[str, Any]:
        tests = {name: factory.regression_test() for name in ('slow', 'none', 'fast', 'mid_a', 'mid_b', 'none_too')}
        run = factory.run(COMPLETED)
        for name, runtime in (('slow', 9000), ('fast', 10), ('mid_a', 500), ('mid_b', 500)):
            for output in factory.outputs(tests[name]):
                factory.reported(run, tests[name], output)
            factory.result(run, tests[name], runtime=runtime)
        factory.commit()  # 'none' and 'none_too' have no result: no runtime (missing_output)
        return {'run': run, **{name: test.id for name, test in tests.items()}}

    @pytest.mark.parametrize('sort, order', [
        ('id', ['slow', 'none', 'fast', 'mid_a', 'mid_b', 'none_too']),
        ('-id', ['none_too', 'mid_b', 'mid_a', 'fast', 'none', 'slow']),
        ('runtime', ['fast', 'mid_a', 'mid_b', 'slow', 'none', 'none_too']),
        ('-runtime', ['slow', 'mid_a', 'mid_b', 'fast', 'none', 'none_too']),
    ])
    def test_orders(self, api, made, sort, order):
        run = made['run']
        body = paged(api, f'/runs/{run.id}/samples?sort={sort}')
        assert ids(body, 'regression_id') == [made[name] for name in order]
        if 'runtime' in sort:
            runtimes = [item['runtime_ms'] for item in body['data']]
            assert runtimes == sorted(runtimes[:4], reverse=sort[0] == '-') + [None, None]
        # Sorted before paging; the items are those the single-result endpoint gives.
        page = paged(api, f'/runs/{run.id}/samples?sort={sort}&limit=2&offset=2')
        assert ids(page, 'regression_id') == [made[name] for name in order[2:4]]
        assert page['data'] == body['data'][2:4]
        assert f'sort={sort}' in page['pagination']['links']['next']

    def test_the_default_is_id(self, api, made):
        run = made['run']
        assert paged(api, f'/runs/{run.id}/samples')['data'] == paged(api, f'/runs/{run.id}/samples?sort=id')['data']

    def test_sort_after_the_status_filter(self, api, made):
        run = made['run']
        body = paged(api, f'/runs/{run.id}/samples?sort=-runtime&status=pass')
        assert ids(body, 'regression_id') == [made[name] for name in ('slow', 'mid_a', 'mid_b', 'fast')]
        body = paged(api, f'/runs/{run.id}/samples?sort=runtime&status=missing_output,pass&limit=3&offset=3')
        assert ids(body, 'regression_id') == [made[name] for name in ('slow', 'none', 'none_too')]

    @pytest.mark.parametrize('value', ['runtime_ms', 'status', 'ID', ''])
    def test_invalid(self, api, made, value):
        body = invalid(api, f'/runs/{made["run"].id}/samples?sort={value}', 'sort')
        assert body['details']['allowed'] == ['id', '-id', 'runtime', '-runtime']


# --- runs by start time ----------------------------------------------------------------------------------------------

class TimeRangeTests:
    """``started_after`` (inclusive) and ``started_before`` (exclusive), on the first progress row, UTC."""

    @pytest.fixture
    def made(self, factory) -> Dict[str, Any]:
        runs = {'t0': started(factory, T0), 't1': started(factory, T0 + HOUR),
                'next_day': started(factory, T0 + 24 * HOUR), 'queued': factory.run(())}
        factory.commit()
        return {name: run.id for name, run in runs.items()}

    def listed(self, api, query: str) -> List[str]:
        made = self.made_ids
        names = {run_id: name for name, run_id in made.items()}
        return [names[run_id] for run_id in ids(paged(api, f'/runs?sort=started_at&{query}'), 'run_id')]

    @pytest.fixture(autouse=True)
    def keep(self, made):
        self.made_ids = made

    def test_bounds(self, api):
        # T0 is 2026-11-01 12:00:00 UTC.
        assert self.listed(api, 'started_after=2026-11-01T13:00:00Z') == ['t1', 'next_day']  # inclusive
        assert self.listed(api, 'started_before=2026-11-01T13:00:00Z') == ['t0']  # exclusive
        assert self.listed(api, 'started_after=2026-11-01T13:00:01Z') == ['next_day']
        assert self.listed(api, 'started_before=2026-11-01T13:00:01Z') == ['t0', 't1']
        # Together, a half-open range: consecutive ranges share no run and miss none.
        assert self.listed(api, 'started_after=2026-11-01T12:00:00Z&started_before=2026-11-01T13:00:00Z') == ['t0']
        assert self.listed(api, 'started_after=2026-11-01T13:00:00Z&started_before=2026-11-02T12:00:00Z') == ['t1']
        assert self.listed(api, 'started_after=2026-11-01T13:00:00Z&started_before=2026-11-01T13:00:00Z') == []

    def test_offsets_and_dates(self, api):
        # 14:00+01:00 is 13:00Z; a + in a query must be sent as %2B (a bare + is a space).
        assert self.listed(api, 'started_after=2026-11-01T14:00:00%2B01:00') == ['t1', 'next_day']
        assert self.listed(api, 'started_before=2026-11-01T08:00:00-05:00') == ['t0']
        assert self.listed(api, 'started_after=2026-11-01T13:00:00.000000%2B00:00') == ['t1', 'next_day']
        # RFC 3339 lets T and Z be written in lower case.
        assert self.listed(api, 'started_after=2026-11-01t13:00:00z') == ['t1', 'next_day']
        # A date is its midnight, UTC.
        assert self.listed(api, 'started_after=2026-11-01&started_before=2026-11-02') == ['t0', 't1']
        assert self.listed(api, 'started_after=2026-11-02') == ['next_day']
        assert self.listed(api, 'started_before=2026-11-01') == []

    def test_a_run_not_started_matches_no_time_filter(self, api):
        assert 'queued' in self.listed(api, 'limit=100')
        assert 'queued' not in self.listed(api, 'started_after=2000-01-01')
        assert 'queued' not in self.listed(api, 'started_before=2100-01-01')

    def test_the_first_progress_row_counts(self, api, factory):
        # Stamped earlier than its first row: a worker's clock. The first row, by id, is the start.
        run = started(factory, T0 + 3 * HOUR)
        factory.progress(run, TestStatus.canceled, T0 - HOUR)
        factory.commit()
        self.made_ids['odd'] = run.id
        assert self.listed(api, 'started_after=2026-11-01T15:00:00Z&started_before=2026-11-01T15:00:01Z') == ['odd']

    def test_kept_in_the_links(self, api):
        body = paged(api, '/runs?started_after=2026-11-01T12:00:00Z&limit=1')
        assert body['pagination']['total'] == 3
        assert body['pagination']['links']['next'] == (
            f'{API_ROOT}/runs?started_after=2026-11-01T12:00:00Z&limit=1&offset=1')
        offset = paged(api, '/runs?started_after=2026-11-01T13:00:00%2B01:00')['pagination']['links']['first']
        assert offset == f'{API_ROOT}/runs?started_after=2026-11-01T13:00:00%2B01:00&offset=0'  # + stays a +
        assert paged(api, path_of(body['pagination']['links']['last']))['pagination']['offset'] == 2

    @pytest.mark.parametrize('parameter', ['started_after', 'started_before'])
    @pytest.mark.parametrize('value', [
        '2026-11-01T12:00:00',  # no zone: no moment
        '2026-11-01 12:00:00',
        'yesterday',
        '2026-13-01',
        '2026-11-31',
        '',
        '1730000000',
        # ISO 8601, but not as RFC 3339 (the document's date-time) writes it: a week date, the basic format, a space
        # for the T, a fraction without digits, digits of another script.
        '2026-W44-7',
        '20261101T120000Z',
        '2026-11-01 12:00:00Z',
        '2026-11-01T12:00:00.Z',
        '\uff12\uff10\uff12\uff16-11-01',
    ])
    def test_invalid(self, api, parameter, value):
        body = invalid(api, f'/runs?{parameter}={value}', parameter)
        assert 'ISO 8601' in body['message'] and 'RFC 3339' in body['message']

    @pytest.mark.parametrize('parameter', ['started_after', 'started_before'])
    @pytest.mark.parametrize('value', ['9999-12-31T23:59:59-01:00', '0001-01-01T00:00:00%2B00:01'])
    def test_a_moment_beyond_the_years_a_date_holds_in_utc(self, api, parameter, value):
        body = invalid(api, f'/runs?{parameter}={value}', parameter)
        assert 'year 9999' in body['message']


# --- absolute links on every resource -----------------------------------------------------------------------------

def urls_in(value: Any, key: str = '') -> List[str]:
    """Every URL an answer gives: the values of its ``links`` objects and its ``html_url`` fields, at any depth."""
    found: List[str] = []
    if isinstance(value, dict):
        for name, inner in value.items():
            if name == 'links' and isinstance(inner, dict):
                found += [url for url in inner.values() if url is not None]
            elif name == 'html_url':
                found.append(inner)
            else:
                found += urls_in(inner, name)
    elif isinstance(value, list):
        for inner in value:
            found += urls_in(inner, key)
    return found


@pytest.fixture
def world(factory) -> Dict[str, Any]:
    """A base run and a run after it on master; the run's test failed on an output, the base's passed."""
    test = factory.regression_test()
    base = factory.run(COMPLETED)
    run = factory.run(COMPLETED)
    passed(factory, base, test)
    failed(factory, run, test)
    factory.commit()
    output = factory.outputs(test)[0]
    return {'run': run.id, 'base': base.id, 'test': test.id, 'output': output.id}


def every_answer(world: Dict[str, Any]) -> Dict[str, str]:
    """A path of each JSON answer that has links."""
    run, test, output = world['run'], world['test'], world['output']
    return {'runs': '/runs', 'run': f'/runs/{run}', 'results': f'/runs/{run}/samples',
            'result': f'/runs/{run}/samples/{test}', 'diff': f'/runs/{run}/samples/{test}/outputs/{output}/diff',
            'comparison': f'/runs/{run}/comparison', 'history': f'/regression-tests/{test}/history'}


class AbsoluteLinkTests:
    """Every link and html_url is absolute; each resource links itself; the links answer when followed."""

    def test_every_url_is_absolute(self, api, world):
        for name, path in every_answer(world).items():
            urls = urls_in(get_json(api, path))
            assert urls, name
            for url in urls:
                assert url.startswith(f'{PLATFORM}/'), (name, url)

    def test_each_resource_links_itself(self, api, world):
        run, base, test, output = world['run'], world['base'], world['test'], world['output']
        result = f'{API_ROOT}/runs/{run}/samples/{test}'
        outputs = f'{result}/outputs/{output}'
        detail = get_json(api, f'/runs/{run}')
        assert detail['links'] == {'self': f'{API_ROOT}/runs/{run}', 'summary': f'{API_ROOT}/runs/{run}/summary',
                                   'samples': f'{API_ROOT}/runs/{run}/samples',
                                   'comparison': f'{API_ROOT}/runs/{run}/comparison',
                                   'log': f'{API_ROOT}/runs/{run}/log'}
        assert detail['html_url'] == f'{PLATFORM}/test/{run}'
        item = get_json(api, f'/runs/{run}/samples/{test}')
        assert item['links'] == {'self': result, 'run': f'{API_ROOT}/runs/{run}',
                                 'history': f'{API_ROOT}/regression-tests/{test}/history'}
        assert item['outputs'][0]['links'] == {
            'self': f'{outputs}/diff', 'diff': f'{outputs}/diff', 'expected': f'{outputs}/expected',
            'actual': f'{outputs}/actual', 'result': result, 'diff_html': f'{PLATFORM}/test/diff/{run}/{test}/{output}'}
        answer = get_json(api, f'/runs/{run}/samples/{test}/outputs/{output}/diff')
        assert answer['links'] == item['outputs'][0]['links']
        [compared] = get_json(api, f'/runs/{run}/comparison')['data']
        assert compared['links'] == {'self': result, 'result': result,
                                     'base_result': f'{API_ROOT}/runs/{base}/samples/{test}',
                                     'history': f'{API_ROOT}/regression-tests/{test}/history'}
        assert compared['html_url'] == f'{PLATFORM}/test/{run}'
        newest = get_json(api, f'/regression-tests/{test}/history')['data'][0]
        assert newest['links'] == {'self': result, 'result': result, 'run': f'{API_ROOT}/runs/{run}'}
        assert newest['html_url'] == f'{PLATFORM}/test/{run}'

    def test_the_lists_items_are_the_resources(self, api, world):
        run, test = world['run'], world['test']
        listed = [item for item in get_json(api, '/runs')['data'] if item['run_id'] == run]
        detail = get_json(api, f'/runs/{run}')
        assert listed[0]['links'] == detail['links'] and listed[0]['html_url'] == detail['html_url']
        [item] = get_json(api, f'/runs/{run}/samples')['data']
        result = get_json(api, path_of(item['links']['self']))
        assert (result['run_id'], result['regression_id']) == (run, test)
        assert item['links'] == result['links']

    def test_followed_the_api_links_answer(self, api, world):
        run = world['run']
        followed = 0
        for name, path in every_answer(world).items():
            for url in urls_in(get_json(api, path)):
                if url.startswith(API_ROOT + '/') and not url.endswith(('/log', '/expected', '/actual')):
                    response = api.get(path_of(url))
                    assert response.status_code == 200, (name, url)
                    followed += 1
        assert followed > 20
        # Files and the log have nothing on disk here: the links are right all the same (a 404 of that file).
        assert get_json(api, f'/runs/{run}/log', status=404)['details']['resource'] == 'log'

    def test_the_hosts_address_through_its_proxy(self, app, api, world):
        # A host that trusts its proxy's X-Forwarded-Proto and -Host (the platform trusts X-Forwarded-For only).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)
        proxied = Api(app.test_client())
        proxied.headers = {**api.headers, 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'results.example'}
        for name, path in every_answer(world).items():
            response = proxied.get(path)
            assert response.status_code == 200, name
            for url in urls_in(response.json):
                assert url.startswith('https://results.example/'), (name, url)
        links = header_links(proxied.get('/runs?limit=1'))
        assert links['next'] == 'https://results.example/api/v1/runs?limit=1&offset=1'

    def test_the_platform_address_is_that_of_every_link(self, app, api, world):
        # Behind nginx the request says http: the configured address is the public one, the API's included.
        configure(app, platform_url='https://sampleplatform.ccextractor.org')
        public = 'https://sampleplatform.ccextractor.org'
        for name, path in every_answer(world).items():
            response = api.get(path)
            body = response.json
            for url in urls_in(body):
                page = '/test/' in url and '/api/v1/' not in url
                assert url.startswith(f'{public}/test/' if page else f'{public}/api/v1/'), (name, url)
            if 'pagination' in body:
                assert body['pagination']['links']['first'].startswith(f'{public}/api/v1/'), name
                assert all(link.startswith(f'<{public}/api/v1/') for link in response.headers['Link'].split(', '))

    def test_a_pull_request_run_and_its_history_link_alike(self, api, factory):
        test = factory.regression_test()
        run = factory.run(COMPLETED, test_type=TestType.pull_request, pr_nr=7, branch='feature')
        passed(factory, run, test)
        factory.commit()
        body = get_json(api, f'/regression-tests/{test.id}/history?pr=7')
        assert body['data'][0]['links']['run'] == f'{API_ROOT}/runs/{run.id}'
        assert body['pagination']['links']['first'] == f'{API_ROOT}/regression-tests/{test.id}/history?pr=7&offset=0'
