"""Schemas: the one description of every payload the API reads or writes.

Path parameters are validated here; responses are dumped here, keys in the
spec's order. Schemas format what the verdict service decided; they decide
nothing themselves.
"""

from __future__ import annotations

import datetime
import functools
import re
from typing import (Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type,
                    TypeVar, cast)

from marshmallow import RAISE, Schema, ValidationError, fields, validate
from werkzeug.datastructures import MultiDict

from mod_api import links as links_of
from mod_api.comparison import KIND_ORDER, Kind
from mod_api.errors import ApiError
from mod_api.history import RunPoint, Streak
from mod_api.queries import (RESULT_ORDERS, RUN_ORDERS, Description,
                             ProgressStep, RunFacts)
from mod_api.verdicts import (CONCLUSIONS, Counts, Status, Verdict, conclusion,
                              duration_ms, run_state, triggered_by)

# The platform's INTEGER columns are signed 32-bit (MariaDB's INT).
MAX_ID = 2147483647
_DIGITS = re.compile(r'\A[0-9]{1,10}\Z')

PLATFORMS = ('linux', 'windows')
RUN_STATES = ('queued', 'preparation', 'testing', 'completed', 'canceled')
STATUSES = ('pass', 'fail', 'skipped', 'missing_output', 'running', 'not_started')
OUTPUT_STATUSES = ('match', 'diff_mismatch', 'missing_output', 'missing_expected')
SHA256_PATTERN = r'^[a-fA-F0-9]{64}$'
RUN_SORTS = RUN_ORDERS
RESULT_SORTS = RESULT_ORDERS


class DecimalInteger(fields.Field):
    """A whole number written in decimal digits only (no sign, space, ``_`` or exponent), within a range.

    Python's ``int()`` would take ``+3``, `` 3`` or ``1_0``; a URL should not.
    """

    def __init__(self, minimum: int = 1, maximum: int = MAX_ID, **kwargs: Any) -> None:
        kwargs.setdefault('validate', validate.Range(min=minimum, max=maximum))
        super().__init__(**kwargs)
        self.minimum, self.maximum = minimum, maximum

    def _deserialize(self, value: Any, attr: Optional[str], data: Optional[Mapping[str, Any]],
                     **kwargs: Any) -> int:
        if not isinstance(value, str) or not _DIGITS.match(value) or not self.minimum <= int(value) <= self.maximum:
            raise ValidationError(f'Must be a whole number from {self.minimum} to {self.maximum}, in decimal digits.')
        return int(value)


_WELL_FORMED_ID = re.compile(r'\A-?[0-9]+\Z')


#: The most significant digits a path id may have: Python reads and writes no longer number by default (4,300
#: digits), and a URL with a longer one is beyond any server's request line (gunicorn's is 4,094 bytes).
MAX_ID_DIGITS = 4000


class PathId(fields.Field):
    """A database id in a URL: a whole number in ASCII decimal digits (a minus sign allowed), of up to 4,000 digits.

    Any such number is a well-formed request: one that no row can have (0, a
    negative one, or one beyond the INTEGER columns' range) names nothing, and
    is answered 404 like any id of no row, which names it back. What is not a
    decimal number at all (``abc``, ``+3``, ``1.0``, other scripts' digits),
    or has more significant digits than ``MAX_ID_DIGITS``, is a 400. Leading
    zeros are not significant (``007`` is 7), however many.
    """

    def _deserialize(self, value: Any, attr: Optional[str], data: Optional[Mapping[str, Any]],
                     **kwargs: Any) -> int:
        if not isinstance(value, str) or not _WELL_FORMED_ID.match(value):
            raise ValidationError('Must be a whole number in decimal digits.')
        sign, digits = ('-', value[1:]) if value[0] == '-' else ('', value)
        significant = digits.lstrip('0') or '0'
        if len(significant) > MAX_ID_DIGITS:
            raise ValidationError(f'Must be a whole number of at most {MAX_ID_DIGITS:,} digits.')
        return int(sign + significant)


def storable_id(value: int) -> bool:
    """Whether a row of the platform's INTEGER id columns can have the id ``value``."""
    return 1 <= value <= MAX_ID


class Choices(fields.Field):
    """One or several values of a set, comma-separated in one parameter (``status=fail,missing_output``).

    Loads a tuple of the distinct values, in the order given. Each value must
    be one of ``choices``; an empty one (``fail,``) is none of them.
    """

    def __init__(self, choices: Sequence[str], **kwargs: Any) -> None:
        self.choices = tuple(choices)
        alternatives = '|'.join(re.escape(choice) for choice in self.choices)
        metadata = {'pattern': f'^({alternatives})(,({alternatives}))*$', **kwargs.pop('metadata', {})}
        metadata['description'] = (f'{metadata.get("description", "")} One or several of '
                                   f'{", ".join(self.choices)}, comma-separated (any of them).').lstrip()
        super().__init__(metadata=metadata, **kwargs)

    def first_unknown(self, value: Any) -> Optional[str]:
        """Return the first value of ``value`` that is none of the choices (None: every one is)."""
        if not isinstance(value, str):
            return None
        return next((item for item in value.split(',') if item not in self.choices), None)

    def _deserialize(self, value: Any, attr: Optional[str], data: Optional[Mapping[str, Any]],
                     **kwargs: Any) -> Tuple[str, ...]:
        if not isinstance(value, str):
            raise ValidationError('Must be a string.')
        unknown = self.first_unknown(value)
        if unknown is not None:
            raise ValidationError(f'{unknown[:100]!r} is not one of {", ".join(self.choices)}.')
        return tuple(dict.fromkeys(value.split(',')))


#: What the document's formats ``date-time`` and ``date`` admit (RFC 3339, section 5.6): a date-time with ``Z`` or
#: an offset (``T`` and ``Z`` in either case), or a full date. Python's ``fromisoformat`` would take more of ISO 8601
#: (week dates, the basic format without dashes, a space for the ``T``).
_RFC3339 = re.compile(r'\A[0-9]{4}-[0-9]{2}-[0-9]{2}'
                      r'(?:[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:[Zz]|[+-][0-9]{2}:[0-9]{2}))?\Z')


class Moment(fields.Field):
    """A moment in a query: an RFC 3339 date-time, with ``Z`` or an offset, or a date (its midnight, UTC).

    Loads a naive UTC datetime, as the platform stores its times. Checked
    against RFC 3339's form, then read by marshmallow's own
    ``AwareDateTime``, or its ``Date``; a date-time without a zone says no
    moment, and is refused.
    """

    _DATE_TIME = fields.AwareDateTime()
    _DATE = fields.Date()

    def __init__(self, **kwargs: Any) -> None:
        # Described as either format: the document then admits no other string (no empty one).
        metadata = {'anyOf': [{'format': 'date-time'}, {'format': 'date'}], **kwargs.pop('metadata', {})}
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(self, value: Any, attr: Optional[str], data: Optional[Mapping[str, Any]],
                     **kwargs: Any) -> datetime.datetime:
        try:
            if not isinstance(value, str) or not _RFC3339.match(value):
                raise ValidationError('not RFC 3339')
            if len(value) == len('2024-05-01'):
                return datetime.datetime.combine(self._DATE.deserialize(value), datetime.time())
            moment = self._DATE_TIME.deserialize(value.upper())  # the letters are T and Z, as Python reads them
        except ValidationError:
            raise ValidationError('Must be an ISO 8601 date-time as RFC 3339 writes it, with Z or an offset '
                                  '(2024-05-01T12:00:00Z), or a date (2024-05-01).') from None
        try:
            return moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        except OverflowError:  # 9999-12-31T23:59:59-01:00 is after the last moment a datetime holds, in UTC
            raise ValidationError('Must be a moment from year 1 to year 9999, in UTC.') from None


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


def _allowed(field: fields.Field) -> Dict[str, Any]:
    """Say what a field accepts, for the details of a 400."""
    if isinstance(field, DecimalInteger):
        return {'minimum': field.minimum, 'maximum': field.maximum}
    if isinstance(field, PathId):
        return {'type': 'integer'}
    if isinstance(field, Choices):
        return {'allowed': list(field.choices)}
    if isinstance(field, Moment):
        return {'format': 'date-time or date'}
    for validator in field.validators:
        if isinstance(validator, validate.OneOf):
            return {'allowed': list(validator.choices)}
        if isinstance(validator, validate.Length):
            return {'max_length': validator.max}
        if isinstance(validator, validate.Regexp):
            return {'pattern': validator.regex.pattern}
    return {}


def _load(schema: Schema, values: Mapping[str, Any], where: str) -> Dict[str, Any]:
    try:
        return cast(Dict[str, Any], schema.load(values))
    except ValidationError as error:
        messages = error.normalized_messages()
        name = next(iter(messages)) if isinstance(messages, dict) else '?'
        field = schema.fields.get(name)
        if field is None:
            raise ApiError(400, f'Unknown {where} parameter {name[:100]}.',
                           {'parameter': name[:100], 'in': where, 'allowed': sorted(schema.fields)}) from None
        reason = messages[name][0] if isinstance(messages, dict) and isinstance(messages[name], list) else ''
        reason = reason[:1].lower() + reason[1:]
        bad = field.first_unknown(values.get(name)) if isinstance(field, Choices) else None
        raise ApiError(400, f'Invalid {name}: {reason}'.rstrip(': '),
                       {'parameter': name, 'in': where, **({} if bad is None else {'value': bad[:100]}),
                        **_allowed(field)}) from None


_SchemaType = TypeVar('_SchemaType', bound=Schema)


@functools.lru_cache(maxsize=None)
def one(schema: Type[_SchemaType]) -> _SchemaType:
    """Return the one instance of a schema class, made on first use and shared by every request.

    marshmallow copies every declared field into each new instance (tens of
    microseconds a schema, several per request); loading and dumping keep no
    state in the instance, so one serves all.
    """
    return schema()


def parse_path(schema: Type[Schema], values: Mapping[str, Any]) -> Dict[str, Any]:
    """Validate path parameters, or raise the 400 naming the first bad one and the allowed range."""
    return _load(one(schema), values, 'path')


def parse_query(schema: Type[Schema], args: MultiDict) -> Dict[str, Any]:
    """Validate query parameters: unknown or repeated names, and bad values, are a 400 naming the parameter."""
    for name in args:
        if len(args.getlist(name)) > 1:
            raise ApiError(400, f'Parameter {name[:100]} is given more than once.',
                           {'parameter': name[:100], 'in': 'query'})
    return _load(one(schema), args.to_dict(), 'query')


class RunSummarySchema(Schema):
    """``GET /runs/{run_id}/summary``: the spec's fields first, then the API's additions."""

    run_id = fields.Integer(required=True)
    total_samples = fields.Integer(required=True, metadata={
        'description': 'Total regression test results in this run: every regression test in the run\'s scope.'})
    pass_count = fields.Integer(required=True)
    fail_count = fields.Integer(required=True, metadata={
        'description': 'Computed from TestResult rows. NOT derived from test.failed, which only reflects '
                       'cancellation state and is unreliable for determining whether regression tests actually '
                       'passed.'})
    skipped_count = fields.Integer(required=True)
    missing_output_count = fields.Integer(required=True, metadata={
        'description': 'Samples that produced no output when output was expected: the condition behind the '
                       'platform\'s dummy TestResultFile(-1,-1,-1,\'\',\'error\') row, not got=null (which '
                       'means output matched).'})
    error_count = fields.Integer(required=True, metadata={
        'description': 'Tests whose exit code differs from the expected one (also counted as fail '
                       'or missing_output).'})
    duration_ms = fields.Integer(required=True, allow_none=True)
    triggered_by = fields.String(required=True, allow_none=True)
    status = fields.String(required=True, validate=validate.OneOf(RUN_STATES), metadata={
        'description': 'The same as state, kept for compatibility: clients read it under this name.'})
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES), metadata={
        'description': 'State of the run, from its latest progress row (as GET /runs names it).'})
    running_count = fields.Integer(required=True)
    not_started_count = fields.Integer(required=True)
    links = fields.Nested('SummaryLinksSchema', required=True)


class SummaryLinksSchema(Schema):
    """Where to read more about a run's summary (absolute URLs)."""

    self = fields.String(required=True, metadata={'description': 'The summary itself.'})
    run = fields.String(required=True, metadata={'description': 'The run it sums up.'})
    samples = fields.String(required=True, metadata={'description': 'The results it counts.'})


class OutputSchema(Schema):
    """One expected output of a regression test in a run."""

    output_id = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(required=True, validate=validate.OneOf(OUTPUT_STATUSES))
    expected_hash = fields.String(allow_none=True, validate=validate.Regexp(SHA256_PATTERN))
    actual_hash = fields.String(allow_none=True, validate=validate.Regexp(SHA256_PATTERN))
    filename = fields.String(allow_none=True, metadata={
        'description': 'The output\'s expected_filename as the platform stores it (the platform names the file '
                       'CCExtractor writes from the sample\'s sha, this, and the extension).'})
    links = fields.Nested('OutputLinksSchema')


class RegressionResultSchema(Schema):
    """``GET /runs/{run_id}/samples/{sample_id}``: one regression test's result in a run."""

    run_id = fields.Integer(required=True, validate=validate.Range(min=1))
    sample_id = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        'description': 'The media sample the regression test runs on.'})
    regression_id = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        'description': 'The regression test\'s id (the sample_id of the path).'})
    category = CutString(validate=validate.Length(max=100), metadata={
        'description': 'The first of categories; left out when the test has none.'})
    categories = CutList(CutString(validate=validate.Length(max=100)), required=True,
                         validate=validate.Length(max=50), metadata={
                             'description': 'Every category of the regression test, by code point (the first 50, '
                                            'each cut to 100 characters); empty when it has none. The category '
                                            'filter matches any of them.'})
    command = CutString(validate=validate.Length(max=500))
    status = fields.String(required=True, validate=validate.OneOf(STATUSES), metadata={
        'description': 'Computed from TestResult, TestResultFile, expected exit code, and multiple acceptable '
                       'baselines. Not a stored column.'})
    runtime_ms = fields.Integer(allow_none=True, validate=validate.Range(min=0))
    exit_code = fields.Integer(allow_none=True)
    expected_exit_code = fields.Integer(allow_none=True)
    result_message = CutString(allow_none=True, validate=validate.Length(max=500))
    tags = CutList(CutString(validate=validate.Length(max=50)), required=True, validate=validate.Length(max=50))
    outputs = CutList(fields.Nested(OutputSchema), required=True, validate=validate.Length(max=20), metadata={
        'description': 'One entry per expected output file. got=null in the DB means output matched expected; '
                       'no actual file is stored. The dummy (-1,-1,-1,\'\',\'error\') row is translated to '
                       'status=missing_output and is never exposed here.'})
    links = fields.Nested('ResultLinksSchema')
    html_url = fields.String(metadata={
        'description': 'The run\'s page on the platform, where this result is a row (the platform has no page of '
                       'one result).'})


class ResultLinksSchema(Schema):
    """Where to read more about a result (absolute URLs)."""

    self = fields.String(required=True, metadata={'description': 'The result itself.'})
    run = fields.String(required=True, metadata={'description': 'The run it is a result of.'})
    history = fields.String(required=True, metadata={'description': 'The regression test\'s history across runs.'})


class ErrorSchema(Schema):
    """Every error of the API."""

    code = CutString(required=True, validate=validate.Length(max=100), metadata={
        'description': 'Machine-readable error code (snake_case)'})
    message = CutString(required=True, validate=validate.Length(max=500), metadata={
        'description': 'Human-readable error summary'})
    details = fields.Dict(required=True, metadata={
        'description': 'Structured context for the error. Always an object, never null. Empty object {} when no '
                       'additional detail is available.'})


class NoQuerySchema(Schema):
    """The query of an endpoint that takes no query parameter: any one given is refused."""

    class Meta:  # noqa: D106
        unknown = RAISE


class PageQuerySchema(Schema):
    """Pagination of a list."""

    class Meta:  # noqa: D106
        unknown = RAISE

    limit = DecimalInteger(1, 100, load_default=20, metadata={'description': 'Items per page, 1 to 100.'})
    offset = DecimalInteger(0, MAX_ID, load_default=0, metadata={'description': 'Items to skip.'})


class RunListQuerySchema(PageQuerySchema):
    """Filters of ``GET /runs``."""

    platform = Choices(PLATFORMS)
    state = Choices(RUN_STATES, metadata={'description': 'The run\'s state, from its latest progress row.'})
    branch = fields.String(validate=validate.Length(min=1, max=255))
    commit = fields.String(validate=validate.Regexp(r'^[0-9a-fA-F]{7,64}$'), metadata={
        'description': 'A prefix of the commit\'s hash, at least 7 hexadecimal digits.'})
    pr = DecimalInteger(1, MAX_ID, metadata={'description': 'Pull request number.'})
    started_after = Moment(metadata={
        'description': 'Only runs started at or after this moment (inclusive), by their first progress row (UTC): '
                       'an ISO 8601 date-time with Z or an offset, or a date (its midnight, UTC). A run not '
                       'started yet (queued) matches no time filter.'})
    started_before = Moment(metadata={
        'description': 'Only runs started before this moment (exclusive), read as started_after is: with both, '
                       'consecutive ranges neither overlap nor leave a gap.'})
    sort = fields.String(load_default='-id', validate=validate.OneOf(RUN_SORTS), metadata={
        'description': 'id or started_at (the first progress row), - for descending; runs not started yet last '
                       'either way, ties by id descending. Default -id: newest first.'})


class RegressionResultListQuerySchema(PageQuerySchema):
    """Filters of ``GET /runs/{run_id}/samples``."""

    status = Choices(STATUSES)
    sort = fields.String(load_default='id', validate=validate.OneOf(RESULT_SORTS), metadata={
        'description': 'id (the regression test\'s) or runtime (runtime_ms), - for descending; results without '
                       'a runtime last either way, ties by id ascending. Default id.'})
    category = fields.String(validate=validate.Length(min=1, max=64), metadata={
        'description': 'Only regression tests in this category (any of theirs).'})
    tag = fields.String(validate=validate.Length(min=1, max=64), metadata={
        'description': 'Only regression tests whose sample has this tag.'})


class PageLinksSchema(Schema):
    """The pages around a page, as its ``Link`` header gives them: the request's URL with another offset."""

    next = fields.String(required=True, allow_none=True, metadata={
        'description': 'The next page; null on the last page.'})
    prev = fields.String(required=True, allow_none=True, metadata={
        'description': 'The previous page (never past the last one); null on the first page.'})
    first = fields.String(required=True, metadata={'description': 'The first page (offset 0).'})
    last = fields.String(required=True, metadata={
        'description': 'The last page: offset the last multiple of limit below total (0 for an empty list).'})


class PaginationSchema(Schema):
    """Where a page sits in its list."""

    limit = fields.Integer(required=True, validate=validate.Range(min=1, max=100))
    offset = fields.Integer(required=True, validate=validate.Range(min=0))
    total = fields.Integer(required=True, validate=validate.Range(min=0), metadata={
        'description': 'Items matching the filters, over all pages.'})
    links = fields.Nested(PageLinksSchema, required=True, metadata={
        'description': 'Absolute URLs of the next, previous, first and last page, with the same filters.'})


def pagination(limit: int, offset: int, total: int) -> Dict[str, Any]:
    """Describe where a page of the current request's list sits, with the links to the pages around it."""
    return {'limit': limit, 'offset': offset, 'total': total,
            'links': links_of.page_links(limit, offset, total)}


class RunCountsSchema(Schema):
    """A run's regression tests counted by status, as its summary counts them."""

    total_samples = fields.Integer(required=True)
    pass_count = fields.Integer(required=True)
    fail_count = fields.Integer(required=True)
    skipped_count = fields.Integer(required=True)
    missing_output_count = fields.Integer(required=True)
    error_count = fields.Integer(required=True, metadata={
        'description': 'Tests whose exit code differs from the expected one (also counted as fail or missing_output).'})
    running_count = fields.Integer(required=True)
    not_started_count = fields.Integer(required=True)


class RunLinksSchema(Schema):
    """Where to read more about a run (absolute URLs)."""

    self = fields.String(required=True, metadata={'description': 'The run itself.'})
    summary = fields.String(required=True)
    samples = fields.String(required=True)
    comparison = fields.String(required=True, metadata={'description': 'The run against its base run.'})
    log = fields.String(metadata={'description': 'The run\'s CI log (404 while the run has none).'})


class RunSchema(Schema):
    """One run, as lists show it."""

    run_id = fields.Integer(required=True, validate=validate.Range(min=1))
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    type = fields.String(required=True, validate=validate.OneOf(('commit', 'pull_request')))
    branch = fields.String(required=True)
    commit = fields.String(required=True)
    pr_number = fields.Integer(required=True, allow_none=True, metadata={
        'description': 'The pull request\'s number; null for a commit run.'})
    repository = fields.String(required=True, allow_none=True, metadata={
        'description': 'The GitHub repository (of the fork) the run tested.'})
    state = fields.String(required=True, validate=validate.OneOf(RUN_STATES))
    started_at = fields.String(required=True, allow_none=True, metadata={
        'format': 'date-time', 'description': 'Time of the first progress row (ISO 8601, UTC).'})
    finished_at = fields.String(required=True, allow_none=True, metadata={
        'format': 'date-time', 'description': 'Time of the last progress row once completed or canceled.'})
    links = fields.Nested(RunLinksSchema, required=True)
    html_url = fields.String(metadata={'description': 'The run\'s page on the platform.'})
    counts = fields.Nested(RunCountsSchema, required=True, metadata={
        'description': 'The run\'s regression tests by status: the counts of its summary.'})
    conclusion = fields.String(required=True, validate=validate.OneOf(CONCLUSIONS), metadata={
        'description': 'How the run went: in_progress until it finished; canceled; else fail when any test has '
                       'the status fail or missing_output, pass when none has.'})


class ProgressStepSchema(Schema):
    """One state a run went through."""

    status = fields.String(required=True, validate=validate.OneOf(RUN_STATES[1:]))
    at = fields.String(required=True, metadata={'format': 'date-time'})
    message = fields.String(required=True)


class RunDetailSchema(RunSchema):
    """One run with its progress history."""

    progress = fields.List(fields.Nested(ProgressStepSchema), required=True)


class RunListSchema(Schema):
    """A page of runs, newest first."""

    data = fields.List(fields.Nested(RunSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


class RegressionResultListSchema(Schema):
    """A page of a run's regression results, in regression test id order."""

    data = fields.List(fields.Nested(RegressionResultSchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


_REGRESSION_RESULT = one(RegressionResultSchema)


def _iso(moment: Optional[datetime.datetime]) -> Optional[str]:
    """Write a stored UTC time as ISO 8601 with a Z (naive as most drivers return it, or aware)."""
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(datetime.timezone.utc).replace(tzinfo=None)
    return moment.replace(microsecond=0).isoformat() + 'Z'


def _counts(counts: Counts) -> Dict[str, int]:
    return {
        'total_samples': counts.total,
        'pass_count': counts[Status.passed],
        'fail_count': counts[Status.fail],
        'skipped_count': counts[Status.skipped],
        'missing_output_count': counts[Status.missing_output],
        'error_count': counts.crashed,
        'running_count': counts[Status.running],
        'not_started_count': counts[Status.not_started],
    }


def run_item(run: RunFacts, counts: Counts) -> Dict[str, Any]:
    """Describe a run as lists show it (undumped), with the counts of its verdicts."""
    state = run_state(run.last_status)
    run_links = links_of.RunLinks(run.run_id)
    return {
        'run_id': run.run_id,
        'platform': run.platform,
        'type': 'pull_request' if run.is_pull_request else 'commit',
        'branch': run.branch,
        'commit': run.commit,
        'pr_number': run.pr_nr if run.is_pull_request and run.pr_nr > 0 else None,
        'repository': run.repository,
        'state': state.value,
        'started_at': _iso(run.first_progress_at),
        'finished_at': _iso(run.last_progress_at) if state.finished else None,
        'links': run_links.links(),
        'html_url': run_links.html,
        'counts': _counts(counts),
        'conclusion': conclusion(state, counts),
    }


def dump_run_list(items: List[Dict[str, Any]], limit: int, offset: int, total: int) -> Dict[str, Any]:
    """Dump a page of runs (items from ``run_item``)."""
    return one(RunListSchema).dump({'data': items, 'pagination': pagination(limit, offset, total)})


def dump_run_detail(item: Dict[str, Any], progress: List[ProgressStep]) -> Dict[str, Any]:
    """Dump one run (an item from ``run_item``) with its progress history."""
    steps = [{'status': step.status, 'at': _iso(step.at), 'message': step.message} for step in progress]
    return one(RunDetailSchema).dump({**item, 'progress': steps})


def dump_regression_result_list(items: List[Dict[str, Any]], limit: int, offset: int,
                                total: int) -> Dict[str, Any]:
    """Dump a page of regression results (each already dumped by ``dump_regression_result``)."""
    return {'data': items, 'pagination': one(PaginationSchema).dump(pagination(limit, offset, total))}


def dump_run_summary(run: RunFacts, counts: Counts) -> Dict[str, Any]:
    """Dump a run's summary from its facts and the counts of its verdicts."""
    state = run_state(run.last_status)
    return one(RunSummarySchema).dump({
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
        'state': state.value,
        'running_count': counts[Status.running],
        'not_started_count': counts[Status.not_started],
        'links': links_of.RunLinks(run.run_id).summary_links(),
    })


def _cut_limit(schema: Schema, name: str) -> Optional[int]:
    """Return the length a dump cuts the field ``name`` of ``schema`` to (None: it is not cut)."""
    declared = schema.fields[name]
    return declared._limit() if isinstance(declared, _CutToLength) else None


# A result's limits, as its schema declares them: ``dump_regression_result`` cuts to these itself.
_CATEGORY_MAX, _COMMAND_MAX, _MESSAGE_MAX, _TAGS_MAX, _OUTPUTS_MAX = (
    _cut_limit(_REGRESSION_RESULT, name) for name in ('category', 'command', 'result_message', 'tags', 'outputs'))
_TAG_MAX = cast(CutList, _REGRESSION_RESULT.fields['tags']).inner._limit()  # type: ignore[attr-defined]
_CATEGORIES_MAX = _cut_limit(_REGRESSION_RESULT, 'categories')
_CATEGORY_NAME_MAX = cast(CutList, _REGRESSION_RESULT.fields['categories']).inner._limit()  # type: ignore[attr-defined]


def dump_regression_result(run: links_of.RunLinks, verdict: Verdict, description: Description) -> Dict[str, Any]:
    """Dump one regression test's result in a run; ``category`` is left out when it has none, ``categories`` not.

    Built as ``RegressionResultSchema`` dumps it, without calling it: a page of
    100 results is the bulk of a list's time, and the schema's dump would only
    copy these plain values and cut its ``Length``-limited strings and lists,
    which is done here with the schema's own limits. ``tests/test_schemas.py``
    proves the schema's dump of the answer is the answer itself. ``run``:
    the run's links (made once for a page of results).
    """
    run_id = run.run_id
    tags = description.tags[:_TAGS_MAX]
    message = verdict.message
    return {
        'run_id': run_id,
        'sample_id': description.sample_id,
        'regression_id': verdict.regression_id,
        **({} if description.category is None else {'category': description.category[:_CATEGORY_MAX]}),
        'categories': [name[:_CATEGORY_NAME_MAX] for name in description.categories[:_CATEGORIES_MAX]],
        'command': description.command[:_COMMAND_MAX],
        'status': verdict.status.value,
        'runtime_ms': verdict.runtime_ms,
        'exit_code': verdict.exit_code,
        'expected_exit_code': verdict.expected_exit_code,
        'result_message': message if message is None else message[:_MESSAGE_MAX],
        'tags': [tag[:_TAG_MAX] for tag in tags],
        'outputs': [{'output_id': o.output_id, 'status': o.status.value, 'expected_hash': o.expected_hash,
                     'actual_hash': o.actual_hash, 'filename': o.filename,
                     'links': run.output_links(verdict.regression_id, o.output_id, o.expected_hash, o.actual_hash)}
                    for o in verdict.outputs[:_OUTPUTS_MAX]],
        'links': run.result_links(verdict.regression_id),
        'html_url': run.html,
    }


class OutputLinksSchema(Schema):
    """Where to read more about one output: the API's diff and files, and the platform's diff page (absolute URLs)."""

    self = fields.String(required=True, metadata={
        'description': 'The output\'s own answer: its diff (an output has no other URL).'})
    diff = fields.String(required=True, metadata={'description': 'The diff of the actual output with its baseline.'})
    expected = fields.String(required=True, allow_none=True, metadata={
        'description': 'The baseline file; null when the output has no baseline hash.'})
    actual = fields.String(required=True, allow_none=True, metadata={
        'description': 'The actual output file (the baseline\'s when got is NULL); null when not reported.'})
    result = fields.String(required=True, metadata={'description': 'The regression test\'s result it belongs to.'})
    diff_html = fields.String(required=True, allow_none=True, metadata={
        'description': 'The platform\'s own diff page (absolute); null unless the actual output\'s hash differs '
                       'from the baseline\'s.'})


class OutputPathSchema(RegressionResultPathSchema):
    """Path of the endpoints of one output: ``sample_id`` is the regression test's id."""

    output_id = PathId(required=True)


class DiffQuerySchema(Schema):
    """Query of ``GET .../outputs/{output_id}/diff``."""

    class Meta:  # noqa: D106
        unknown = RAISE

    context = DecimalInteger(0, 20, load_default=3, metadata={
        'description': 'Lines of context around each change, 0 to 20.'})


DIFF_REASONS = ('identical', 'unavailable', 'binary', 'too_large')
SIDE_REASONS = ('no_row', 'no_baseline', 'got_null', 'not_a_hash', 'bad_extension', 'not_on_disk', 'outside_root',
                'no_results_root')


class DiffSideSchema(Schema):
    """One side of a diff: the baseline (expected) or the actual output."""

    hash = fields.String(required=True, allow_none=True, validate=validate.Regexp(SHA256_PATTERN), metadata={
        'description': 'The content\'s sha256 as stored; null when there is none, or the stored value is no sha256.'})
    filename = fields.String(required=True, allow_none=True, metadata={
        'description': 'The file\'s name in the platform\'s TestResults folder.'})
    size_bytes = fields.Integer(required=True, allow_none=True, validate=validate.Range(min=0))
    available = fields.Boolean(required=True, metadata={'description': 'Whether the file is on disk and readable.'})
    reason = fields.String(required=True, allow_none=True, validate=validate.OneOf(SIDE_REASONS), metadata={
        'description': 'Why the side has no file to read: no_row (the output was never reported), no_baseline, '
                       'not_a_hash (the stored value is no sha256), bad_extension, not_on_disk, outside_root (a '
                       'link out of the results folder, refused), no_results_root (no folder configured); or, '
                       'for the actual side, got_null: the output was identical to its baseline, no file of its '
                       'own was stored, and the baseline\'s file stands for it (available when that one is).'})
    encoding = fields.String(required=True, allow_none=True, validate=validate.OneOf(('utf-8', 'cp1252')), metadata={
        'description': 'How the text was read (UTF-8, else cp1252, as the platform reads it); null when not read '
                       'or binary.'})
    line_endings = fields.String(required=True, allow_none=True,
                                 validate=validate.OneOf(('lf', 'crlf', 'mixed', 'none')), metadata={
                                     'description': 'How its lines end; null when not read or binary.'})


class DiffLineSchema(Schema):
    """One line of a hunk."""

    kind = fields.String(required=True, validate=validate.OneOf(('context', 'removed', 'added')))
    expected_line = fields.Integer(validate=validate.Range(min=1), metadata={
        'description': 'Its number in the baseline (context and removed lines).'})
    actual_line = fields.Integer(validate=validate.Range(min=1), metadata={
        'description': 'Its number in the actual output (context and added lines).'})
    text = fields.String(required=True, metadata={'description': 'The line without its end.'})
    eol = fields.String(required=True, validate=validate.OneOf(('\n', '\r\n', '')), metadata={
        'description': 'How the line ends: LF, CR LF, or nothing (the last line of a file without a final end).'})


class DiffHunkSchema(Schema):
    """A run of changes with its context; ranges as a unified diff's ``@@`` line writes them."""

    expected_start = fields.Integer(required=True, validate=validate.Range(min=0), metadata={
        'description': 'First baseline line of the hunk; when it has none, the line after which it applies.'})
    expected_lines = fields.Integer(required=True, validate=validate.Range(min=0))
    actual_start = fields.Integer(required=True, validate=validate.Range(min=0))
    actual_lines = fields.Integer(required=True, validate=validate.Range(min=0))
    lines = fields.List(fields.Nested(DiffLineSchema), required=True)


class DiffSummarySchema(Schema):
    """The size of the whole difference, even when the hunks are truncated."""

    added_lines = fields.Integer(required=True, validate=validate.Range(min=0))
    removed_lines = fields.Integer(required=True, validate=validate.Range(min=0))
    hunks = fields.Integer(required=True, validate=validate.Range(min=0))


class OutputDiffSchema(Schema):
    """``GET .../outputs/{output_id}/diff``: how an output of a regression test in a run differs from its baseline."""

    run_id = fields.Integer(required=True, validate=validate.Range(min=1))
    regression_id = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        'description': 'The regression test\'s id (the sample_id of the path).'})
    output_id = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(required=True, validate=validate.OneOf(OUTPUT_STATUSES), metadata={
        'description': 'The output\'s status, as the regression result\'s outputs give it.'})
    identical = fields.Boolean(required=True, allow_none=True, metadata={
        'description': 'Whether the actual output is the baseline byte for byte; null when a side is missing.'})
    binary = fields.Boolean(required=True, allow_none=True, metadata={
        'description': 'Whether a side is no text (a NUL byte, or neither UTF-8 nor cp1252); null when not read.'})
    diffed = fields.Boolean(required=True, metadata={'description': 'Whether the lines were compared.'})
    reason = fields.String(required=True, allow_none=True, validate=validate.OneOf(DIFF_REASONS), metadata={
        'description': 'Why the lines were not compared: identical (same hash, or got NULL), unavailable (a side '
                       'has no file: see its reason), binary, too_large (a side is above API_DIFF_MAX_BYTES).'})
    message = fields.String(required=True, metadata={'description': 'The answer in one sentence.'})
    context = fields.Integer(required=True, validate=validate.Range(min=0, max=20))
    expected = fields.Nested(DiffSideSchema, required=True, metadata={
        'description': 'The baseline of the time of the run (the row\'s expected; the output\'s correct without '
                       'a row).'})
    actual = fields.Nested(DiffSideSchema, required=True)
    summary = fields.Nested(DiffSummarySchema, required=True)
    hunks = fields.List(fields.Nested(DiffHunkSchema), required=True, metadata={
        'description': 'Applied to the baseline, the hunks give the actual output line for line (unless '
                       'truncated). Empty when identical or not diffed.'})
    truncated = fields.Boolean(required=True, metadata={
        'description': 'Whether the hunks stop short (API_DIFF_MAX_LINES lines listed); the summary counts all.'})
    links = fields.Nested(OutputLinksSchema, required=True)


def dump_output_diff(answer: Mapping[str, Any], hunks: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Dump a diff answer; ``hunks`` come already shaped as ``DiffHunkSchema`` (thousands of lines, dumped as is)."""
    dumped = cast(Dict[str, Any], one(OutputDiffSchema).dump({**answer, 'hunks': []}))
    dumped['hunks'] = hunks
    return dumped


# --- Relative answers: a result against earlier runs, a run against a base, a regression test's history --------

KINDS = tuple(kind.value for kind in KIND_ORDER)
BASE_RULES = ('given', 'master_tip', 'previous_on_branch')


class RunPointSchema(Schema):
    """A run, and when it finished."""

    run_id = fields.Integer(required=True, validate=validate.Range(min=1))
    at = fields.String(required=True, allow_none=True, metadata={
        'format': 'date-time', 'description': 'When the run finished (its last progress row; ISO 8601, UTC).'})


class RegressionResultDetailSchema(RegressionResultSchema):
    """``GET /runs/{run_id}/samples/{sample_id}``: the result, and since when it fails (lists leave this out)."""

    failing_since = fields.Nested(RunPointSchema, required=True, allow_none=True, metadata={
        'description': 'When the test fails here: the oldest run of its unbroken run of failures (fail or '
                       'missing_output), over earlier finished runs of the same platform and branch (of a pull '
                       'request: the same pull request), skipping runs that did not judge it; this run itself when '
                       'the one before passed. null when it does not fail here. Looks at most API_HISTORY_WINDOW '
                       'earlier runs.'})
    last_passed_in = fields.Nested(RunPointSchema, required=True, allow_none=True, metadata={
        'description': 'The newest of those earlier runs in which the test passed; null when none did.'})


def _point(point: Optional[RunPoint]) -> Optional[Dict[str, Any]]:
    return None if point is None else {'run_id': point.run_id, 'at': _iso(point.at)}


def dump_regression_result_detail(result: Dict[str, Any], failing_since: Optional[RunPoint],
                                  last_passed_in: Optional[RunPoint]) -> Dict[str, Any]:
    """Add to a dumped result (``dump_regression_result``) since when it fails and where it last passed."""
    return {**result, 'failing_since': _point(failing_since), 'last_passed_in': _point(last_passed_in)}


class ComparisonQuerySchema(PageQuerySchema):
    """Query of ``GET /runs/{run_id}/comparison``."""

    base = DecimalInteger(1, MAX_ID, metadata={
        'description': 'The run to compare with; by default the one the platform would choose.'})
    kind = Choices(KINDS, metadata={'description': 'Only tests of these kinds.'})


class ComparisonBaseSchema(Schema):
    """Which run a comparison is against, and why."""

    run_id = fields.Integer(required=True, allow_none=True, metadata={
        'description': 'The base run; null when there is none (then every test is no_reference).'})
    rule = fields.String(required=True, validate=validate.OneOf(BASE_RULES), metadata={
        'description': 'given: the base parameter; master_tip (a pull-request run): the commit run on branch master '
                       'of the same platform completed last; previous_on_branch (a commit run): the commit run of '
                       'the same branch and platform, earlier than this one, completed last.'})
    reason = fields.String(required=True, metadata={'description': 'The choice in one sentence.'})


class ComparedTestLinksSchema(Schema):
    """The two results a comparison of one test reads, and the test's history (absolute URLs)."""

    self = fields.String(required=True, metadata={
        'description': 'What the item stands for: the test\'s result in this run (as result).'})
    result = fields.String(required=True, metadata={'description': 'The test\'s result in this run.'})
    base_result = fields.String(required=True, allow_none=True, metadata={
        'description': 'Its result in the base run; null when the base does not hold it.'})
    history = fields.String(required=True, metadata={'description': 'The regression test\'s history across runs.'})


class ComparedTestSchema(Schema):
    """One regression test of the run, beside its result in the base run."""

    regression_id = fields.Integer(required=True, validate=validate.Range(min=1))
    kind = fields.String(required=True, validate=validate.OneOf(KINDS), metadata={
        'description': 'broken_here: fails here (fail or missing_output), passed in the base; fixed_here: the other '
                       'way round; failing_identically: fails on both sides with the same exit code and the same '
                       'produced hash for every output; failing_differently: fails on both sides otherwise; '
                       'unchanged_pass; no_reference: the base does not hold the test, or there is no base, or it '
                       'recorded nothing of it (no result, no output reported: it never ran there); not_comparable: '
                       'skipped, running or not started on either side.'})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    base_status = fields.String(required=True, allow_none=True, validate=validate.OneOf(STATUSES))
    message = CutString(required=True, validate=validate.Length(max=500))
    base_message = CutString(required=True, allow_none=True, validate=validate.Length(max=500))
    links = fields.Nested(ComparedTestLinksSchema, required=True)
    html_url = fields.String(required=True, metadata={
        'description': 'The run\'s page on the platform, where the test\'s result is a row.'})


ComparisonCountsSchema = Schema.from_dict({kind: fields.Integer(required=True) for kind in KINDS},
                                          name='ComparisonCountsSchema')


class ComparisonSchema(Schema):
    """``GET /runs/{run_id}/comparison``: every test of the run against a base run, broken ones first."""

    run_id = fields.Integer(required=True)
    base = fields.Nested(ComparisonBaseSchema, required=True)
    counts = fields.Nested(ComparisonCountsSchema, required=True, metadata={
        'description': 'Tests of each kind, over the whole run (whatever the kind filter).'})
    data = fields.List(fields.Nested(ComparedTestSchema), required=True, metadata={
        'description': 'In the order a reviewer reads: broken_here, fixed_here, failing_differently, '
                       'failing_identically, no_reference, not_comparable, unchanged_pass; by regression id within '
                       'a kind.'})
    pagination = fields.Nested(PaginationSchema, required=True)


def compared_test(regression_id: int, kind: Kind, mine: Verdict, theirs: Optional[Verdict],
                  run: links_of.RunLinks, base: Optional[links_of.RunLinks]) -> Dict[str, Any]:
    """Describe one test of a comparison (undumped): its verdict in the run (``run``'s links), ``theirs`` in the base.

    ``theirs`` is None when there is no base (``base`` None) or the base does not hold the test.
    """
    result = run.result_url(regression_id)
    return {
        'regression_id': regression_id, 'kind': kind.value, 'status': mine.status.value,
        'base_status': None if theirs is None else theirs.status.value,
        'message': mine.message, 'base_message': None if theirs is None else theirs.message,
        'links': {'self': result, 'result': result,
                  'base_result': None if theirs is None or base is None else base.result_url(regression_id),
                  'history': run.history_url(regression_id)},
        'html_url': run.html}


def dump_comparison(run_id: int, base: Mapping[str, Any], counts: Mapping[Kind, int], items: List[Dict[str, Any]],
                    limit: int, offset: int, total: int) -> Dict[str, Any]:
    """Dump a comparison: ``base`` as ``ComparisonBaseSchema``, items as ``ComparedTestSchema``."""
    return cast(Dict[str, Any], one(ComparisonSchema).dump({
        'run_id': run_id, 'base': base, 'counts': {kind.value: number for kind, number in counts.items()},
        'data': items, 'pagination': pagination(limit, offset, total)}))


class RegressionTestPathSchema(Schema):
    """Path of the regression test endpoints."""

    regression_id = PathId(required=True)


class HistoryQuerySchema(PageQuerySchema):
    """Filters of ``GET /regression-tests/{regression_id}/history``."""

    platform = fields.String(validate=validate.OneOf(PLATFORMS))
    branch = fields.String(validate=validate.Length(min=1, max=255))
    pr = DecimalInteger(1, MAX_ID, metadata={'description': 'Pull request number.'})


class StreakSchema(Schema):
    """The test's current run of passes or of failures."""

    status = fields.String(required=True, validate=validate.OneOf(('pass', 'fail')), metadata={
        'description': 'pass, or fail (the statuses fail and missing_output).'})
    since_run_id = fields.Integer(required=True, metadata={'description': 'The oldest run of the streak.'})
    since = fields.String(required=True, allow_none=True, metadata={'format': 'date-time'})
    runs = fields.Integer(required=True, validate=validate.Range(min=1), metadata={
        'description': 'Runs in the streak; runs that did not judge the test (skipped) are passed over, not counted.'})


class HistoryEntryLinksSchema(Schema):
    """Where to read the test's result in one run, and the run (absolute URLs)."""

    self = fields.String(required=True, metadata={
        'description': 'What the entry stands for: the test\'s result in that run (as result).'})
    result = fields.String(required=True)
    run = fields.String(required=True)


class HistoryEntrySchema(Schema):
    """The test's result in one finished run."""

    run_id = fields.Integer(required=True)
    platform = fields.String(required=True, validate=validate.OneOf(PLATFORMS))
    type = fields.String(required=True, validate=validate.OneOf(('commit', 'pull_request')))
    branch = fields.String(required=True)
    pr_number = fields.Integer(required=True, allow_none=True)
    commit = fields.String(required=True)
    finished_at = fields.String(required=True, allow_none=True, metadata={'format': 'date-time'})
    status = fields.String(required=True, validate=validate.OneOf(STATUSES))
    message = CutString(required=True, validate=validate.Length(max=500))
    output_changed = fields.Boolean(required=True, allow_none=True, metadata={
        'description': 'Whether the hashes it produced differ from those of the next older entry; null for the '
                       'oldest entry, and when either entry reported no output at all.'})
    links = fields.Nested(HistoryEntryLinksSchema, required=True)
    html_url = fields.String(required=True, metadata={'description': 'The run\'s page on the platform.'})


class HistorySchema(Schema):
    """``GET /regression-tests/{regression_id}/history``: the test's results in finished runs, newest first."""

    regression_id = fields.Integer(required=True)
    sample_id = fields.Integer(required=True, allow_none=True)
    window = fields.Integer(required=True, metadata={
        'description': 'Finished runs matching the filters looked at, at most: the newest API_HISTORY_WINDOW.'})
    streak = fields.Nested(StreakSchema, required=True, allow_none=True, metadata={
        'description': 'null when no entry passed or failed.'})
    last_pass = fields.Nested(RunPointSchema, required=True, allow_none=True)
    flips = fields.Integer(required=True, validate=validate.Range(min=0), metadata={
        'description': 'Changes between pass and fail from one entry to the next (skipped entries passed over).'})
    data = fields.List(fields.Nested(HistoryEntrySchema), required=True)
    pagination = fields.Nested(PaginationSchema, required=True)


def history_entry(run: RunFacts, regression_id: int, status: Status, message: str,
                  output_changed: Optional[bool]) -> Dict[str, Any]:
    """Describe the test's result in one run (undumped)."""
    state = run_state(run.last_status)
    run_links = links_of.RunLinks(run.run_id)
    result = run_links.result_url(regression_id)
    return {
        'run_id': run.run_id, 'platform': run.platform, 'type': 'pull_request' if run.is_pull_request else 'commit',
        'branch': run.branch, 'pr_number': run.pr_nr if run.is_pull_request and run.pr_nr > 0 else None,
        'commit': run.commit, 'finished_at': _iso(run.last_progress_at) if state.finished else None,
        'status': status.value, 'message': message, 'output_changed': output_changed,
        'links': {'self': result, 'result': result, 'run': run_links.run},
        'html_url': run_links.html,
    }


def dump_history(regression_id: int, sample_id: Optional[int], window: int, current: Optional[Streak],
                 last: Optional[RunPoint], flip_count: int, items: List[Dict[str, Any]], limit: int, offset: int,
                 total: int) -> Dict[str, Any]:
    """Dump a regression test's history (items from ``history_entry``)."""
    streak = None if current is None else {'status': current.outcome, 'since_run_id': current.since_run_id,
                                           'since': _iso(current.since), 'runs': current.runs}
    return cast(Dict[str, Any], one(HistorySchema).dump({
        'regression_id': regression_id, 'sample_id': sample_id, 'window': window, 'streak': streak,
        'last_pass': _point(last), 'flips': flip_count, 'data': items,
        'pagination': pagination(limit, offset, total)}))


class ApiIndexLinksSchema(Schema):
    """Where the API describes itself."""

    self = fields.String(required=True, metadata={'description': 'This index.'})
    openapi = fields.String(required=True, metadata={'description': 'The OpenAPI document.'})
    docs = fields.String(required=True, metadata={'description': 'The OpenAPI document as a page to read.'})


class ApiResourceSchema(Schema):
    """One resource of the API, as the OpenAPI document describes it."""

    path = fields.String(required=True, metadata={'description': 'The path template, with the API\'s prefix.'})
    operation_id = fields.String(required=True, metadata={'description': 'The operationId of its GET.'})
    summary = fields.String(required=True)
    tag = fields.String(required=True)


class ApiIndexSchema(Schema):
    """``GET /``: what the API offers, made from its OpenAPI document."""

    name = fields.String(required=True)
    version = fields.String(required=True, metadata={'description': 'The OpenAPI document\'s info.version.'})
    links = fields.Nested(ApiIndexLinksSchema, required=True)
    resources = fields.List(fields.Nested(ApiResourceSchema), required=True, metadata={
        'description': 'Every path of the document, in its order.'})


def dump_api_index(name: str, version: str, links: Mapping[str, str],
                   resources: Sequence[Mapping[str, str]]) -> Dict[str, Any]:
    """Dump the API's index."""
    return cast(Dict[str, Any], one(ApiIndexSchema).dump(
        {'name': name, 'version': version, 'links': links, 'resources': resources}))
