"""gunicorn settings for serving the API: the standalone host, or the platform with ``mod_api`` installed.

    gunicorn -c gunicorn.conf.py                      # the standalone host ('run:create_app()')
    gunicorn -c gunicorn.conf.py run:app              # the platform (its run.py has a module-level app)
    gunicorn -c gunicorn.conf.py --capture-output --log-file logs/error.log run:app   # as the platform logs

Command-line options override these, and ``GUNICORN_CMD_ARGS`` too. Why these values:

- ``gthread`` workers, 2 processes of 4 threads each: one slow request (a large
  run's summary, a database wait) does not hold a whole process, and the
  Redis-shared rate limit makes the quota the same in every worker. The
  API's code keeps nothing per thread beyond the host's scoped session.
- ``timeout`` 60 s: far above the API's own bounds on a database wait (a
  connect, a lock, a statement or a read each end within 10 s by default,
  ``API_DB_*``; a frozen server takes at most twice that), which answer a
  JSON 503 first; this one only catches a worker that stopped answering its
  heartbeat. The platform's unit file uses 120.
- ``graceful_timeout`` 30 s, ``keepalive`` 5 s (behind nginx on a socket).
- ``max_requests`` with jitter: each worker is renewed now and then, so that
  no slow leak lasts.
- Logs: gunicorn's own at ``info`` on stderr (``--log-file`` moves them),
  ``capture_output`` so that what the app writes to stderr (the API's log
  lines: time, level, process, request id) lands in the same file; the access
  log names the request id (``X-Request-Id``) and the time taken, and never
  a header of the request (no token), nor its query: the path alone, since a
  client may put a token in ``?access_token=`` (RFC 6750 2.3), which the API
  refuses but a log of the query would keep. The path is written as it was
  sent, still percent-encoded (gunicorn's ``%(U)s`` is decoded: a ``%0A``
  in it would start a line of the client's making).
"""

import os

from gunicorn.glogging import Logger

wsgi_app = 'run:create_app()'
bind = os.environ.get('GUNICORN_BIND', '127.0.0.1:8000')
workers = int(os.environ.get('WEB_CONCURRENCY', '2'))
worker_class = 'gthread'
threads = 4
timeout = 60
graceful_timeout = 30
keepalive = 5
max_requests = 10000
max_requests_jitter = 1000

loglevel = 'info'
capture_output = True
accesslog = '-'
access_log_format = '%(h)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms request=%({x-request-id}o)s'


class PathOnlyLogger(Logger):
    """gunicorn's logger, whose ``%(U)s`` is the path as sent (percent-encoded), without its query."""

    def atoms(self, resp, req, environ, request_time):  # noqa: D102 (gunicorn's own method)
        atoms = super().atoms(resp, req, environ, request_time)
        atoms['U'] = environ.get('RAW_URI', '').split('?', 1)[0]
        return atoms


logger_class = PathOnlyLogger
