"""Declarative base and enum column type of the host platform.

A platform deployment uses the platform's own ``database.py`` instead of this
file: this copy holds only what ``mod_api`` relies on, with the same names
(``Base`` with a ``query`` property, ``DeclEnum``, ``create_session``), so
that the blueprint's import lines are the same in both homes. The standalone
host serves requests through Flask-SQLAlchemy; ``create_session`` is what
``mod_api``'s commands use outside a request, in both homes.
"""

from __future__ import annotations

from typing import Any, Dict, Type

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

_sessions: Dict[str, scoped_session] = {}


class Base(DeclarativeBase):
    """Declarative base of every model of the platform."""

    # Set by the host to its session's query_property(), as the platform does.
    query: Any = None


class DeclEnum(TypeDecorator):
    """Store a Python enum as its value, a string of at most 50 characters.

    The platform keeps its enum columns as plain strings; the stored value is
    the first string of each pair described in the platform's documentation.
    """

    impl = sa.String(50)
    cache_ok = True

    def __init__(self, enum: Type[Any], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enum = enum

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        """Store the enum member's value."""
        if value is None or isinstance(value, str):
            return value
        return value.value

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        """Turn the stored string back into the enum member."""
        if value is None:
            return None
        return self.enum(value)


def create_session(uri: str) -> scoped_session:
    """Return the scoped session bound to ``uri``, made once per URI."""
    if uri not in _sessions:
        engine = sa.create_engine(uri, pool_pre_ping=True)
        _sessions[uri] = scoped_session(sessionmaker(bind=engine))
    return _sessions[uri]
