"""Routes of a regression test across runs: its history (``GET /regression-tests/{regression_id}/history``).

A result answers for one run; a maintainer asking "since when does this test
fail?" needs the same test in every run. The history reads it in the newest
finished runs that match the filters (at most ``API_HISTORY_WINDOW``, so that
a request reads a bounded amount whatever the platform's age), in a fixed
number of statements, and the history service says what the entries mean.
"""

from __future__ import annotations

from flask import Response, g, request

from mod_api import history, queries
from mod_api.auth import RUNS_READ, token_required
from mod_api.errors import not_found
from mod_api.routes import get_route, list_json, test_entries
from mod_api.schemas import (HistoryQuerySchema, RegressionTestPathSchema,
                             dump_history, history_entry, parse_path,
                             parse_query, storable_id)
from mod_api.settings import current as current_settings
from mod_api.verdicts import classify, run_state


@get_route('/regression-tests/<regression_id>/history')
@token_required(RUNS_READ)
def regression_test_history(regression_id: str) -> Response:
    """List the regression test's status in each finished run, newest first, with its streak, last pass and flips."""
    path = parse_path(RegressionTestPathSchema, {'regression_id': regression_id})
    query = parse_query(HistoryQuerySchema, request.args)
    rid = path['regression_id']
    descriptions = queries.load_descriptions(g.db, [rid]) if storable_id(rid) else {}
    if rid not in descriptions:
        raise not_found('regression_test', rid)
    window = current_settings().history_window
    filters = queries.RunFilters(platform=query.get('platform'), branch=query.get('branch'), pr_nr=query.get('pr'))
    runs = queries.load_finished_runs(g.db, filters, None, window)
    rows = queries.load_rows_of_runs(g.db, runs, regression_id=rid)
    held = [run for run in runs if rows[run.run_id].tests]
    entries = test_entries(held, rows, rid)
    changed = history.output_changed(entries)
    items = []
    for index in range(query['offset'], min(len(entries), query['offset'] + query['limit'])):
        run = held[index]
        verdict = classify(queries.records(rows[run.run_id])[0], run_state(run.last_status), platform=run.platform)
        items.append(history_entry(run, rid, verdict.status, verdict.message, changed[index]))
    payload = dump_history(rid, descriptions[rid].sample_id, window, history.streak(entries), history.last_passed_in(
        entries), history.flips(entries), items, query['limit'], query['offset'], len(entries))
    # A new run can join the history at any time: always revalidated.
    return list_json(payload, finished=False)
