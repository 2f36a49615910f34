"""The API's settings (``mod_api/settings.py``): the bounds on waits and the logging keys of issue 9."""

from __future__ import annotations

import pytest

from mod_api import settings
from tests.conftest import TEST_SECRET


def load(**config: object) -> settings.Settings:
    return settings.load({'API_JWT_SECRET': TEST_SECRET, **config})


def test_defaults_bound_every_wait() -> None:
    loaded = load()
    assert (loaded.db_connect_timeout, loaded.db_read_timeout, loaded.db_write_timeout) == (3, 10, 10)
    assert (loaded.db_statement_timeout, loaded.db_lock_timeout, loaded.db_pool_timeout) == (5, 3, 5)
    # The server's own statement limit answers before the client's read timeout gives up on the connection.
    assert loaded.db_statement_timeout < loaded.db_read_timeout
    assert loaded.db_retry_after == 5 and loaded.ratelimit_storage_timeout == 0.5
    assert (loaded.log_level, loaded.log_handler) == ('INFO', True)


def test_values_from_the_environment_are_strings() -> None:
    loaded = load(API_DB_READ_TIMEOUT='2.5', API_DB_LOCK_TIMEOUT='1.4', API_DB_STATEMENT_TIMEOUT='0',
                  API_LOG_LEVEL='warning', API_LOG_HANDLER='false', API_RATELIMIT_STORAGE_TIMEOUT='0.2')
    assert loaded.db_read_timeout == 2.5
    assert loaded.db_lock_timeout == 1  # whole seconds, as the server takes them
    assert loaded.db_statement_timeout == 0  # 0: that bound is off
    assert (loaded.log_level, loaded.log_handler, loaded.ratelimit_storage_timeout) == ('WARNING', False, 0.2)


def test_a_lock_limit_below_a_second_is_a_second() -> None:
    assert load(API_DB_LOCK_TIMEOUT='0.2').db_lock_timeout == 1


@pytest.mark.parametrize('key, value', [
    ('API_DB_CONNECT_TIMEOUT', 'soon'), ('API_DB_READ_TIMEOUT', '-1'), ('API_DB_LOCK_TIMEOUT', '100000'),
    ('API_DB_RETRY_AFTER', 'x'), ('API_LOG_LEVEL', 'LOUD'), ('API_LOG_HANDLER', 'maybe'),
    ('API_RATELIMIT_STORAGE_TIMEOUT', 'never')])
def test_a_bad_value_stops_the_host_naming_the_key(key: str, value: str) -> None:
    with pytest.raises(RuntimeError, match=key):
        load(**{key: value})
