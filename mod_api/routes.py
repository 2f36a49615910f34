"""Routes: each reads its parameters, asks the queries and the verdict service, and dumps a schema.

``sample_id`` in a path is the regression test's id: a run holds one result
per regression test, and one media sample can have several regression tests.
"""

from __future__ import annotations

from flask import Response, current_app, g, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from mod_api import queries
from mod_api.auth import RUNS_READ, token_required
from mod_api.blueprint import mod_api
from mod_api.errors import not_found
from mod_api.limits import limited
from mod_api.responses import json_response
from mod_api.schemas import (RegressionResultPathSchema, RunPathSchema, dump_regression_result, dump_run_summary,
                             parse_path)
from mod_api.verdicts import classify, count, run_state


@mod_api.route('/runs/<run_id>/summary', methods=['GET'])
@token_required(RUNS_READ)
def run_summary(run_id: str) -> Response:
    """Pass/fail counts of a run, over every regression test in its scope."""
    path = parse_path(RunPathSchema(), {'run_id': run_id})
    run = queries.load_run(g.db, path['run_id'])
    if run is None:
        raise not_found('run', path['run_id'])
    state = run_state(run.last_status)
    counts = count(classify(record, state) for record in queries.load_records(g.db, run))
    return json_response(dump_run_summary(run, counts))


@mod_api.route('/runs/<run_id>/samples/<sample_id>', methods=['GET'])
@token_required(RUNS_READ)
def regression_result(run_id: str, sample_id: str) -> Response:
    """Full result of one regression test (``sample_id``) in a run."""
    path = parse_path(RegressionResultPathSchema(), {'run_id': run_id, 'sample_id': sample_id})
    run = queries.load_run(g.db, path['run_id'])
    if run is None:
        raise not_found('run', path['run_id'])
    records = queries.load_records(g.db, run, regression_id=path['sample_id'])
    if not records:
        raise not_found('sample', path['sample_id'], run_id=run.run_id)
    verdict = classify(records[0], run_state(run.last_status))
    description = queries.load_descriptions(g.db, [verdict.regression_id])[verdict.regression_id]
    return json_response(dump_regression_result(run.run_id, verdict, description))


def _api_rules() -> Map:
    """Map the API's own routes, without the catch-all, to tell a 404 from a 405."""
    rules = [Rule(rule.rule, endpoint=rule.endpoint, methods=rule.methods)
             for rule in current_app.url_map.iter_rules()
             if rule.endpoint.startswith(f'{mod_api.name}.') and rule.endpoint != f'{mod_api.name}.unknown_url']
    return Map(rules)


_ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']


@mod_api.route('', defaults={'path': ''}, methods=_ALL_METHODS, endpoint='unknown_url')
@mod_api.route('/', defaults={'path': ''}, methods=_ALL_METHODS, endpoint='unknown_url')
@mod_api.route('/<path:path>', methods=_ALL_METHODS, endpoint='unknown_url')
def unknown_url(path: str) -> Response:
    """Answer URLs under the API that no route takes: 404, or 405 when only the method is wrong.

    Flask sends an unmatched URL to the app's error pages, not to a
    blueprint's handlers, so the API claims every URL under its prefix here.
    """
    def answer() -> Response:
        try:
            _api_rules().bind('localhost').match(request.path, method=request.method)
        except MethodNotAllowed:
            raise
        except HTTPException:
            pass
        raise NotFound()
    # Counted like any request without a token, so that probing URLs is limited too.
    return limited(answer)
