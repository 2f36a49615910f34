"""Timeouts: every wait on the database bounded, on an engine the API did not create.

The platform makes its one engine per process itself, with no options
(``database.create_session``), so the API cannot pass connect arguments.
Instead, on the API's first request in a process, it attaches to the
engine that serves ``g.db`` (once per engine, never per request):

- a ``do_connect`` listener that gives every new PyMySQL connection a
  connect, read and write timeout (``API_DB_CONNECT_TIMEOUT``,
  ``API_DB_READ_TIMEOUT``, ``API_DB_WRITE_TIMEOUT``) unless the host gave
  its own: a frozen or unreachable server fails a request instead of holding
  it until the worker is killed;
- a ``checkout`` listener that bounds, once per connection (a ``SET SESSION``
  on the driver's own cursor: no statement of the request's, and none at all
  on the next checkouts), the statement time (MariaDB ``max_statement_time``,
  MySQL ``max_execution_time``) and the lock waits (``lock_wait_timeout``
  for a locked table or ``FLUSH TABLES WITH READ LOCK``,
  ``innodb_lock_wait_timeout`` for a locked row);
- the pool's checkout wait (``API_DB_POOL_TIMEOUT``).

The pool's idle connections, made before (by the host's own statements, a
page served first, the platform's ``create_all``), are closed then: they have
no read timeout, and the pool's pre-ping, which runs before any ``checkout``
listener, would wait on a frozen server for ever. The next checkouts connect
anew, bounded. PyMySQL's connect timeout covers the TCP connect only; it
reads the server's greeting under the read timeout: on a frozen server a
request may wait up to twice the read timeout (a pooled connection's ping,
then a new connection's greeting), and the pool's wait when every
connection is taken.

The read timeout is longer than the statement limit, so that a slow query
is ended by the server, which keeps the connection, before the client gives
up on it. These limits apply to the whole engine, so to the platform's own
statements on it too: they are far above what its pages take; set a key to
0 to leave that bound off. Other databases (SQLite) keep their own waits.
"""

from __future__ import annotations

import logging
import threading
import weakref
from typing import Any, Dict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from mod_api.settings import Settings

log = logging.getLogger(__name__)

_bounded: 'weakref.WeakSet[Engine]' = weakref.WeakSet()
_lock = threading.Lock()

#: How the bookkeeping write of a token's use waits for nothing (MariaDB): the read it comes with goes on.
NO_WAIT = 'SET STATEMENT lock_wait_timeout=0, innodb_lock_wait_timeout=0, max_statement_time=1 FOR '


def is_mariadb(engine: Engine) -> bool:
    """Whether ``engine`` talks to MariaDB (known once it has connected)."""
    return engine.dialect.name == 'mysql' and bool(getattr(engine.dialect, 'is_mariadb', False))


class _Bounds:
    """The listeners attached to one engine, with the settings they apply."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.done: 'weakref.WeakSet[Any]' = weakref.WeakSet()
        self.warned = False

    def connect_arguments(self, dialect: Any, record: Any, cargs: Any, cparams: Dict[str, Any]) -> None:
        """Give a new connection its timeouts (the host's own, if it set any, are kept)."""
        for key, value in (('connect_timeout', self.settings.db_connect_timeout),
                           ('read_timeout', self.settings.db_read_timeout),
                           ('write_timeout', self.settings.db_write_timeout)):
            if value:
                cparams.setdefault(key, int(value) if key == 'connect_timeout' else value)

    def session_limits(self, dbapi_connection: Any) -> str:
        """Return the ``SET SESSION`` that bounds a connection's statements and lock waits ('' for none)."""
        limits = []
        statement = self.settings.db_statement_timeout
        if statement:
            server = str(dbapi_connection.get_server_info()).lower()
            limits.append(f'max_statement_time = {statement:g}' if 'mariadb' in server
                          else f'max_execution_time = {int(statement * 1000)}')
        lock = self.settings.db_lock_timeout
        if lock:
            limits += [f'lock_wait_timeout = {lock}', f'innodb_lock_wait_timeout = {lock}']
        return f'SET SESSION {", ".join(limits)}' if limits else ''

    def checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        """Bound a connection on its first checkout (later checkouts cost a set lookup)."""
        if dbapi_connection in self.done:
            return
        try:
            statement = self.session_limits(dbapi_connection)
            if statement:
                cursor = dbapi_connection.cursor()
                try:
                    cursor.execute(statement)
                finally:
                    cursor.close()
        except Exception as error:
            # A server that does not answer fails the request's own statement next, as a 503; one that refuses
            # a variable is told about once, and the connection is used without that bound.
            if getattr(error, 'args', None) and error.args[0] in (2006, 2013, 2055, 0):
                return
            if not self.warned:
                self.warned = True
                log.warning('could not bound the database session (%s %s): statements and lock waits are '
                            'not limited', type(error).__name__, error.args[0] if error.args else '')
        self.done.add(dbapi_connection)


def bound(engine: Engine, settings: Settings) -> None:
    """Attach the API's bounds to ``engine``, once per engine (for MySQL and MariaDB through PyMySQL)."""
    if engine in _bounded:
        return
    with _lock:
        if engine in _bounded:
            return
        if engine.dialect.name == 'mysql' and engine.dialect.driver == 'pymysql':
            bounds = _Bounds(settings)
            sa.event.listen(engine, 'do_connect', bounds.connect_arguments)
            sa.event.listen(engine, 'checkout', bounds.checkout)
            # Connections taken at this moment go back to the old pool, which hands them out no more; they are
            # closed when it is collected.
            engine.dispose()
            if settings.db_pool_timeout and hasattr(engine.pool, '_timeout'):
                engine.pool._timeout = settings.db_pool_timeout  # QueuePool's checkout wait (kept by dispose())
        # Only once all of it is in place: another thread sees the engine bounded only then (the check above).
        _bounded.add(engine)
