"""Schemas: the one description of every payload the API reads or writes.

Path parameters are validated here; responses are dumped here, keys in the
spec's order. Schemas format what the verdict service decided; they decide
nothing themselves.
"""

from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Optional

from marshmallow import Schema, ValidationError, fields, validate

from mod_api.errors import ApiError
from mod_api.queries import Description, RunFacts
from mod_api.verdicts import Counts, Status, Verdict, duration_ms, run_state, triggered_by

# The platform's INTEGER columns are signed 32-bit (MariaDB's INT).
MAX_ID = 2147483647
_DIGITS = re.compile(r'\A[0-9]{1,10}\Z')

RUN_STATES = ('queued', 'preparation', 'testing', 'completed', 'canceled')
STATUSES = ('pass', 'fail', 'skipped', 'missing_output', 'running', 'not_started')
OUTPUT_STATUSES = ('match', 'diff_mismatch', 'missing_output', 'missing_expected')
SHA256_PATTERN = r'^[a-fA-F0-9]{64}$'


class PathId(fields.Field):
    """A database id in a URL: decimal digits only, from 1 to the largest INTEGER."""

    def _deserialize(self, value: Any, attr: Optional[str], data: Optional[Mapping[str, Any]],
                     **kwargs: Any) -> int:
        if not isinstance(value, str) or not _DIGITS.match(value) or not 1 <= int(value) <= MAX_ID:
            raise ValidationError(f'Must be a whole number from 1 to {MAX_ID}, in decimal digits.')
        return int(value)


class _CutToLength:
    """Serialize within the field's ``Length`` limit by cutting (no ellipsis), never by failing."""

    def _limit(self) -> Optional[int]:
        limits = [v.max for v in getattr(self, 'validators', []) if isinstance(v, validate.Length)]
        return min((m for m in limits if m is not None), default=None)

    def _serialize(self, value: Any, attr: Optional[str], obj: Any, **kwargs: Any) -> Any:
        value = super()._serialize(value, attr, obj, **kwargs)  # type: ignore[misc]
        limit = self._limit()
        return value[:limit] if value is not None and limit is not None else value


class CutString(_CutToLength, fields.String):
    """A string cut to its ``Length`` limit when dumped."""


class CutList(_CutToLength, fields.List):
    """A list cut to its ``Length`` limit when dumped."""


class RunPathSchema(Schema):
    """Path of the run endpoints."""

    run_id = PathId(required=True)


class RegressionResultPathSchema(RunPathSchema):
    """Path of the regression result endpoint: ``sample_id`` is the regression test's id."""

    sample_id = PathId(required=True)


def parse_path(schema: Schema, values: Mapping[str, Any]) -> Dict[str, Any]:
    """Validate path parameters, or raise the 400 naming the first bad one and the allowed range."""
    try:
        return schema.load(values)
    except ValidationError as error:
        messages = error.normalized_messages()
        name = next(iter(messages)) if isinstance(messages, dict) else 'path'
        raise ApiError(400, f'Invalid {name}: a whole number from 1 to {MAX_ID} is required.',
                       {'parameter': name, 'in': 'path', 'minimum': 1, 'maximum': MAX_ID}) from None


class RunSummarySchema(Schema):
    """``GET /runs/{run_id}/summary``: the spec's fields first, then the API's additions."""

    run_id = fields.Integer(required=True)
    total_samples = fields.Integer(required=True, metadata={
        'description': 'Regression tests in the run\'s scope.'})
    pass_count = fields.Integer(required=True)
    fail_count = fields.Integer(required=True, metadata={
        'description': 'Computed from TestResult rows, not from test.failed.'})
    skipped_count = fields.Integer(required=True)
    missing_output_count = fields.Integer(required=True, metadata={
        'description': 'Samples that produced no output when output was expected.'})
    error_count = fields.Integer(required=True, metadata={
        'description': 'Tests whose exit code differs from the expected one (also counted as fail '
                       'or missing_output).'})
    duration_ms = fields.Integer(required=True, allow_none=True)
    triggered_by = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(RUN_STATES), metadata={
        'description': 'State of the run, from its latest progress row.'})
    running_count = fields.Integer(required=True)
    not_started_count = fields.Integer(required=True)


class OutputSchema(Schema):
    """One expected output of a regression test in a run."""

    output_id = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(required=True, validate=validate.OneOf(OUTPUT_STATUSES))
    expected_hash = fields.String(allow_none=True, validate=validate.Regexp(SHA256_PATTERN))
    actual_hash = fields.String(allow_none=True, validate=validate.Regexp(SHA256_PATTERN))


class RegressionResultSchema(Schema):
    """``GET /runs/{run_id}/samples/{sample_id}``: one regression test's result in a run."""

    run_id = fields.Integer(required=True, validate=validate.Range(min=1))
    sample_id = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        'description': 'The media sample the regression test runs on.'})
    regression_id = fields.Integer(required=True, validate=validate.Range(min=1))
    category = CutString(validate=validate.Length(max=100))
    command = CutString(validate=validate.Length(max=500))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    runtime_ms = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    exit_code = fields.Integer(allow_none=True)
    expected_exit_code = fields.Integer(allow_none=True)
    result_message = CutString(allow_none=True, validate=validate.Length(max=500))
    tags = CutList(CutString(validate=validate.Length(max=50)), required=True, validate=validate.Length(max=50))
    outputs = CutList(fields.Nested(OutputSchema), required=True, validate=validate.Length(max=20))


def dump_run_summary(run: RunFacts, counts: Counts) -> Dict[str, Any]:
    """Dump a run's summary from its facts and the counts of its verdicts."""
    state = run_state(run.last_status)
    return RunSummarySchema().dump({
        'run_id': run.run_id,
        'total_samples': counts.total,
        'pass_count': counts[Status.passed],
        'fail_count': counts[Status.fail],
        'skipped_count': counts[Status.skipped],
        'missing_output_count': counts[Status.missing_output],
        'error_count': counts.crashed,
        'duration_ms': duration_ms(run.first_progress_at, run.last_progress_at, state),
        'triggered_by': triggered_by(run.requested_by, run.is_pull_request, run.pr_nr, run.branch),
        'status': state.value,
        'running_count': counts[Status.running],
        'not_started_count': counts[Status.not_started],
    })


def dump_regression_result(run_id: int, verdict: Verdict, description: Description) -> Dict[str, Any]:
    """Dump one regression test's result in a run; ``category`` is left out when it has none."""
    result: Dict[str, Any] = {
        'run_id': run_id,
        'sample_id': description.sample_id,
        'regression_id': verdict.regression_id,
        'command': description.command,
        'status': verdict.status.value,
        'runtime_ms': verdict.runtime_ms,
        'exit_code': verdict.exit_code,
        'expected_exit_code': verdict.expected_exit_code,
        'result_message': verdict.message,
        'tags': list(description.tags),
        'outputs': [{'output_id': o.output_id, 'status': o.status.value, 'expected_hash': o.expected_hash,
                     'actual_hash': o.actual_hash} for o in verdict.outputs],
    }
    if description.category is not None:
        result['category'] = description.category
    return RegressionResultSchema().dump(result)
