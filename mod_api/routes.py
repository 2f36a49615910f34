"""Routes: each reads its parameters, asks the queries and the verdict service, and dumps a schema.

``sample_id`` in a path is the regression test's id: a run holds one result
per regression test, and one media sample can have several regression tests.
"""

from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, TypeVar, cast

from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from mod_api import comparison, history
from mod_api import links as links_of
from mod_api import logs, openapi, queries
from mod_api.auth import RUNS_READ, account_if_any, token_required
from mod_api.blueprint import mod_api
from mod_api.errors import not_found
from mod_api.limits import limited, preflight
from mod_api.responses import conditional_json
from mod_api.schemas import (ComparisonQuerySchema, NoQuerySchema,
                             RegressionResultListQuerySchema,
                             RegressionResultPathSchema, RunListQuerySchema,
                             RunPathSchema, compared_test, dump_api_index,
                             dump_comparison, dump_regression_result,
                             dump_regression_result_detail,
                             dump_regression_result_list, dump_run_detail,
                             dump_run_list, dump_run_summary, parse_path,
                             parse_query, run_item, storable_id)
from mod_api.settings import current as current_settings
from mod_api.verdicts import (Counts, Status, classify, run_state, statuses,
                              tally)

View = TypeVar('View', bound=Callable[..., Any])

#: The app's extension key of the API's URL prefix (``/api/v1``), set when the blueprint is registered.
PREFIX = 'mod_api.prefix'
_CATCH_ALL = 'mod_api.catch_all'


def get_route(rule: str) -> Callable[[View], View]:
    """Route GET ``rule``; the view answers OPTIONS itself, so that a preflight carries rate-limit headers too."""
    return mod_api.route(rule, methods=['GET', 'OPTIONS'], provide_automatic_options=False)


def run_or_404(run_id: int) -> queries.RunFacts:
    """Load the run, or raise its 404; an id no row can have is not looked up (the database would overflow)."""
    run = queries.load_run(g.db, run_id) if storable_id(run_id) else None
    if run is None:
        raise not_found('run', run_id)
    return run


def _finished(run: queries.RunFacts) -> bool:
    return run_state(run.last_status).finished


def _tally(run: queries.RunFacts, rows: queries.StatusRows) -> Counts:
    return tally(run_state(run.last_status), rows.tests, rows.facts)


def _counts(run: queries.RunFacts) -> Counts:
    """Count the run's statuses, from its tests and their outputs' facts as the database sums them."""
    return _tally(run, queries.load_status_rows(g.db, run))


def list_json(payload: Dict[str, Any], finished: bool) -> Response:
    """Answer a page of a list as ``conditional_json`` does, with its pages' links in a ``Link`` header too."""
    response = conditional_json(payload, finished)
    if response.status_code == 200:
        response.headers['Link'] = links_of.link_header(payload['pagination']['links'])
    return response


def finished_at(run: queries.RunFacts) -> Any:
    """When the run finished (its last progress row), or None while it has not."""
    return run.last_progress_at if _finished(run) else None


def test_entries(runs: List[queries.RunFacts], rows: Dict[int, queries.RunRows],
                 regression_id: int) -> List[history.Entry]:
    """Make a regression test's history entries from its rows in ``runs`` (newest first), skipping runs without it."""
    return history.entries(((run.run_id, finished_at(run), run_state(run.last_status), rows[run.run_id].tests,
                             rows[run.run_id].outputs) for run in runs), regression_id)


def same_line(run: queries.RunFacts) -> queries.RunFilters:
    """Name the runs a result is followed over: same platform and branch; for a pull request, the same one."""
    if run.is_pull_request:
        return queries.RunFilters(platform=run.platform, pr_nr=run.pr_nr)
    return queries.RunFilters(platform=run.platform, branch=run.branch, commits_only=True)


@get_route('/runs')
@token_required(RUNS_READ)
def runs() -> Response:
    """List runs, newest first or as sorted, filtered by platform, state, branch, commit, pull request or start time."""
    query = parse_query(RunListQuerySchema, request.args)
    filters = queries.RunFilters(platforms=query.get('platform', ()), states=query.get('state', ()),
                                 branch=query.get('branch'), commit_prefix=query.get('commit'),
                                 pr_nr=query.get('pr'), started_after=query.get('started_after'),
                                 started_before=query.get('started_before'))
    page, total = queries.load_runs(g.db, filters, query['limit'], query['offset'], query['sort'])
    rows = queries.load_status_rows_of_runs(g.db, page)
    items = [run_item(run, _tally(run, rows[run.run_id])) for run in page]
    return list_json(dump_run_list(items, query['limit'], query['offset'], total), finished=False)


@get_route('/runs/<run_id>')
@token_required(RUNS_READ)
def run_detail(run_id: str) -> Response:
    """One run, with its progress history."""
    path = parse_path(RunPathSchema, {'run_id': run_id})
    parse_query(NoQuerySchema, request.args)
    run = run_or_404(path['run_id'])
    progress = queries.load_progress(g.db, run.run_id)
    counts = _counts(run)
    return conditional_json(dump_run_detail(run_item(run, counts), progress), _finished(run))


@get_route('/runs/<run_id>/summary')
@token_required(RUNS_READ)
def run_summary(run_id: str) -> Response:
    """Pass/fail counts of a run, over every regression test in its scope."""
    path = parse_path(RunPathSchema, {'run_id': run_id})
    parse_query(NoQuerySchema, request.args)
    run = run_or_404(path['run_id'])
    counts = _counts(run)
    return conditional_json(dump_run_summary(run, counts), _finished(run))


@get_route('/runs/<run_id>/samples')
@token_required(RUNS_READ)
def regression_results(run_id: str) -> Response:
    """Every regression result of a run, in regression test order or as sorted, filtered by status, category or tag."""
    path = parse_path(RunPathSchema, {'run_id': run_id})
    query = parse_query(RegressionResultListQuerySchema, request.args)
    run = run_or_404(path['run_id'])
    state = run_state(run.last_status)
    filters = queries.ResultFilters(category=query.get('category'), tag=query.get('tag'))
    # A status filter needs every test's status (to count the matches): the facts of every test's outputs, as the
    # database sums them; otherwise the tests alone say which are on the page. Either way only the page's outputs
    # are read, for full verdicts of the page only.
    if 'status' in query:
        status_rows = queries.load_status_rows(g.db, run, filters, all_columns=True)
        tests = status_rows.tests
        wanted = {Status(value) for value in query['status']}
        selected = [rid for rid, status, _ in statuses(state, tests, status_rows.facts) if status in wanted]
    else:
        tests = queries.load_rows(g.db, run, filters, outputs=False).tests
        selected = [test[0] for test in tests]
    selected = queries.order_results(tests, selected, query['sort'])
    page = selected[query['offset']:query['offset'] + query['limit']]
    rows = queries.RunRows(tests, queries.load_outputs(g.db, run, page))
    verdicts = {record.regression_id: classify(record, state, platform=run.platform)
                for record in queries.records(rows, page)}
    descriptions = queries.load_descriptions(g.db, page)
    links = links_of.RunLinks(run.run_id)
    items = [dump_regression_result(links, verdicts[rid], descriptions[rid]) for rid in page]
    payload = dump_regression_result_list(items, query['limit'], query['offset'], len(selected))
    return list_json(payload, state.finished)


@get_route('/runs/<run_id>/samples/<sample_id>')
@token_required(RUNS_READ)
def regression_result(run_id: str, sample_id: str) -> Response:
    """Full result of one regression test (``sample_id``) in a run."""
    path = parse_path(RegressionResultPathSchema, {'run_id': run_id, 'sample_id': sample_id})
    parse_query(NoQuerySchema, request.args)
    run = run_or_404(path['run_id'])
    records = (queries.load_records(g.db, run, queries.ResultFilters(regression_id=path['sample_id']))
               if storable_id(path['sample_id']) else [])
    if not records:
        raise not_found('sample', path['sample_id'], run_id=run.run_id)
    verdict = classify(records[0], run_state(run.last_status), platform=run.platform)
    description = queries.load_descriptions(g.db, [verdict.regression_id])[verdict.regression_id]
    # Since when: the same test in the earlier finished runs of the same line (a bounded window of them).
    earlier = queries.load_finished_runs(g.db, same_line(run), run.run_id, current_settings().history_window)
    rows = queries.load_rows_of_runs(g.db, earlier, regression_id=verdict.regression_id, status_only=True)
    entries = test_entries(earlier, rows, verdict.regression_id)
    current = history.Entry(run.run_id, finished_at(run), verdict.status)
    payload = dump_regression_result_detail(dump_regression_result(links_of.RunLinks(run.run_id), verdict, description),
                                            history.failing_since(verdict.status, current, entries),
                                            history.last_passed_in(entries))
    return conditional_json(payload, _finished(run))


@get_route('/runs/<run_id>/comparison')
@token_required(RUNS_READ)
def run_comparison(run_id: str) -> Response:
    """Every regression test of a run against a base run: what the run broke, fixed, or left as it was."""
    path = parse_path(RunPathSchema, {'run_id': run_id})
    query = parse_query(ComparisonQuerySchema, request.args)
    run = run_or_404(path['run_id'])
    if 'base' in query:
        base: Optional[queries.RunFacts] = run_or_404(query['base'])
        rule = 'given'
    else:
        base, rule = queries.choose_base(g.db, run)
    both = [run] if base is None else [run, base]
    base_id = None if base is None else base.run_id
    # Two runs: one run's loads, twice, cost less than assembling both from one pair of statements.
    rows = {other.run_id: queries.load_rows(g.db, other) for other in both}
    sides = {other.run_id: comparison.sides(run_state(other.last_status), rows[other.run_id].tests,
                                            rows[other.run_id].outputs) for other in both}
    compared = comparison.compare(sides[run.run_id], None if base_id is None else sides[base_id])
    selected = [(rid, kind) for rid, kind in compared if 'kind' not in query or kind.value in query['kind']]
    page = selected[query['offset']:query['offset'] + query['limit']]
    ids = [rid for rid, _ in page]
    # Messages for the page only, on each side.
    verdicts = {other.run_id: {
        record.regression_id: classify(record, run_state(other.last_status), platform=other.platform)
        for record in queries.records(rows[other.run_id], ids)} for other in both}
    mine_links = links_of.RunLinks(run.run_id)
    base_links = None if base_id is None else links_of.RunLinks(base_id)
    theirs = {} if base_id is None else verdicts[base_id]
    items = [compared_test(rid, kind, verdicts[run.run_id][rid], theirs.get(rid), mine_links, base_links)
             for rid, kind in page]
    answer_base = {'run_id': base_id, 'rule': rule,
                   'reason': comparison.base_reason(rule, run.platform, run.branch, base_id)}
    payload = dump_comparison(run.run_id, answer_base, comparison.counts(compared), items, query['limit'],
                              query['offset'], len(selected))
    return list_json(payload, all(_finished(other) for other in both))


def _document() -> Dict[str, Any]:
    """Return the OpenAPI document of the API at this request's prefix (built once per prefix and app)."""
    prefix = links_of.api_path()
    cache = current_app.extensions.setdefault('mod_api.openapi', {})
    if prefix not in cache:
        cache[prefix] = openapi.build(prefix)
    return cast(Dict[str, Any], cache[prefix])


@get_route('/openapi.json')
def openapi_document() -> Response:
    """Serve the OpenAPI document: no token needed; counted to a valid token's account, else to the address."""
    if request.method == 'OPTIONS':
        return preflight()

    def answer() -> Response:
        parse_query(NoQuerySchema, request.args)
        return conditional_json(_document(), finished=False)
    return limited(answer, account_if_any())


# Also at the bare prefix, without a redirect.
@mod_api.route('/', methods=['GET', 'OPTIONS'], provide_automatic_options=False, strict_slashes=False)
def api_index() -> Response:
    """Serve the index of the API, made from its OpenAPI document: no token needed; counted as the document is."""
    if request.method == 'OPTIONS':
        return preflight()

    def answer() -> Response:
        if request.path.endswith('//'):
            raise NotFound()  # ``prefix//``, which the router takes for the index: a path it would fix is a 404
        parse_query(NoQuerySchema, request.args)
        document = _document()
        payload = dump_api_index(document['info']['title'], document['info']['version'], links_of.index_links(),
                                 openapi.resources(document))
        return conditional_json(payload, finished=False)
    return limited(answer, account_if_any())


def _api_rules() -> Map:
    """Map the API's own routes, without the catch-all, to tell a 404 from a 405 (made once per app)."""
    rules = current_app.extensions.get('mod_api.rules')
    if rules is None:
        rules = current_app.extensions['mod_api.rules'] = Map([
            Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods,
                 strict_slashes=rule.strict_slashes)
            for rule in current_app.url_map.iter_rules()
            if rule.endpoint.startswith(f'{mod_api.name}.') and rule.endpoint != f'{mod_api.name}.unknown_url'])
    return cast(Map, rules)


@mod_api.after_request
def _allow_only_real_methods(response: Response) -> Response:
    """Answer a preflight's ``Allow`` from the API's routes alone, not from the catch-all below."""
    if request.method == 'OPTIONS' and ('Allow' in response.headers or response.status_code == 200):
        try:
            methods = _api_rules().bind('localhost').allowed_methods(_rule_path(request.path))
        except HTTPException:
            methods = []
        response.headers['Allow'] = ', '.join(sorted(methods))
    return response


def _rule_path(path: str) -> str:
    """Return the path as the API's rules take it: the prefix alone is the index, ``prefix/``.

    Werkzeug matches a rule's path without its trailing slash only for the
    rule's own methods; any other method there would look like an unknown URL.
    """
    return path + '/' if path and path == current_app.extensions.get(PREFIX) else path


_ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']


def _under_prefix(path: str) -> bool:
    prefix = current_app.extensions.get(PREFIX)
    return prefix is not None and (not prefix or path == prefix or path.startswith(prefix + '/'))


def claim() -> None:
    """Make every request under the API's prefix the API's own, even one the host's router refused.

    The first before-request hook of the host. Werkzeug's router answers an
    unknown method (TRACE, PROPFIND), or a path it would redirect (``//``),
    with its own HTML, outside any blueprint. Such a request is handed to
    the catch-all route instead, which answers it in JSON, with the API's
    headers (405 with the API's true ``Allow``, or 404). Every API request
    also gets its request id and start time here.
    """
    if not _under_prefix(request.path):
        return
    logs.start_request()
    if request.routing_exception is None:
        return
    rule = current_app.extensions.get(_CATCH_ALL)
    if rule is None:
        rule = current_app.extensions[_CATCH_ALL] = next(
            rule for rule in current_app.url_map.iter_rules(f'{mod_api.name}.unknown_url') if rule.arguments)
    request.url_rule = rule
    request.view_args = {'path': request.path[len(current_app.extensions[PREFIX]):].lstrip('/')}
    request.routing_exception = None


@mod_api.route('/<path:path>', methods=_ALL_METHODS, endpoint='unknown_url')
def unknown_url(path: str) -> Response:
    """Answer URLs under the API that no route takes: 404, or 405 when only the method is wrong.

    Flask sends an unmatched URL to the app's error pages, not to a
    blueprint's handlers, so the API claims every URL under its prefix here.
    """
    def answer() -> Response:
        try:
            _api_rules().bind('localhost').match(_rule_path(request.path), method=request.method)
        except MethodNotAllowed:
            raise
        except HTTPException:
            pass
        raise NotFound()
    # Counted too, so that probing URLs is limited; to the token's account when it has a valid one.
    return limited(answer, account_if_any())
