"""Declarative base, sessions and the enum column type of the host platform.

A platform deployment uses the platform's own ``database.py`` instead of this
file. This one gives ``mod_api`` the same names (``Base`` with a ``query``
attribute, ``DeclEnum``, ``EnumSymbol``, ``DeclEnumType``,
``create_session``) and the same behaviour where the blueprint meets it, so
that the standalone host's tests catch what the platform would refuse:

- an enum member is an :class:`EnumSymbol` (``.name``, ``.value``,
  ``.description``), one object per member, equal only to itself;
- an enum column stores the member's ``value`` as a string of at most 50
  characters; binding anything else, a plain string included, fails with
  AttributeError (it has no ``.value``), as in the platform; so a query
  compares an enum column with a string only through a string-typed
  expression (``mod_api.queries.stored``);
- a stored string comes back as its symbol, surrounding spaces ignored.

The standalone host serves requests through Flask-SQLAlchemy;
``create_session`` is what ``mod_api``'s commands use outside a request, in
both homes.
"""

from __future__ import annotations

from typing import Any, Dict, Iterator, KeysView, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, scoped_session, sessionmaker
from sqlalchemy.types import TypeDecorator

_sessions: Dict[str, scoped_session] = {}


class Base(DeclarativeBase):
    """Declarative base of every model of the platform."""

    # Set by the host to its session's query_property(), as the platform does.
    query: Any = None


def _unindexed_foreign_keys(table: sa.Table) -> Iterator[Tuple[str, ...]]:
    """Yield the column names of each foreign key of ``table`` that no index or key starts with.

    The columns InnoDB indexes by itself when it creates the foreign key.
    """
    leading = [tuple(column.name for column in index.columns) for index in table.indexes]
    leading += [tuple(column.name for column in constraint.columns) for constraint in table.constraints
                if isinstance(constraint, (sa.PrimaryKeyConstraint, sa.UniqueConstraint))]
    for key in table.foreign_key_constraints:
        columns = tuple(column.name for column in key.columns)
        if not any(names[:len(columns)] == columns for names in leading):
            leading.append(columns)
            yield columns


@sa.event.listens_for(Base.metadata, 'after_create')
def _index_foreign_keys_on_sqlite(metadata: sa.MetaData, connection: sa.Connection, **kw: Any) -> None:
    """Give a SQLite database the foreign-key indexes the platform's MySQL database has.

    The platform runs on MySQL, whose InnoDB indexes the columns of every
    foreign key that no index starts with (``test_progress.test_id``,
    ``regression_test_output.regression_id``...); its models declare none of
    them, and SQLite makes none by itself. Without them, a SQLite host would
    scan a whole table to read the few rows of one run or one regression
    test, which the platform's database never does. These indexes are not
    in the models' metadata, so the models stay the platform's.
    """
    if connection.dialect.name != 'sqlite':
        return
    for table in kw.get('tables') or metadata.sorted_tables:
        for columns in _unindexed_foreign_keys(table):
            name = f'ix_fk_{table.name}_{"_".join(columns)}'
            quoted = ', '.join(connection.dialect.identifier_preparer.quote(column) for column in columns)
            connection.exec_driver_sql(f'CREATE INDEX IF NOT EXISTS {name} ON {table.name} ({quoted})')


def create_session(uri: str) -> scoped_session:
    """Return the scoped session bound to ``uri``, made once per URI."""
    if uri not in _sessions:
        engine = sa.create_engine(uri, pool_pre_ping=True)
        _sessions[uri] = scoped_session(sessionmaker(bind=engine))
    return _sessions[uri]


class EnumParsingException(Exception):
    """A string that is the stored value of no member of the enum it was read as."""


class EnumSymbol:
    """One member of a :class:`DeclEnum`.

    ``name`` is the attribute it is reached by, ``value`` the string stored in
    the database, ``description`` the label people read. There is exactly one
    symbol per member, and it equals nothing but itself (not its value).
    """

    def __init__(self, enum: type, name: str, value: str, description: str) -> None:
        self.enum = enum
        self.name = name
        self.value = value
        self.description = description

    def __repr__(self) -> str:
        """Show the member as its enum and name."""
        return f'<{self.enum.__name__}.{self.name}>'

    def __iter__(self) -> Iterator[str]:
        """Unpack as ``(value, description)``, the shape of a form's choice."""
        yield self.value
        yield self.description

    def __reduce__(self) -> Tuple[Any, Tuple[type, str]]:
        """Unpickle as the very same symbol: the attribute of its enum."""
        return getattr, (self.enum, self.name)


class _Members(type):
    """Metaclass of :class:`DeclEnum`: the class body's ``name = "value", "Description"`` pairs become symbols."""

    _by_value: Dict[str, EnumSymbol]

    def __init__(cls, name: str, bases: Tuple[type, ...], namespace: Dict[str, Any]) -> None:
        super().__init__(name, bases, namespace)
        by_value = dict(getattr(cls, '_by_value', {}))  # a subclass keeps its parent's members
        for attribute, pair in namespace.items():
            if attribute.startswith('_') or not isinstance(pair, tuple) or len(pair) != 2:
                continue
            symbol = EnumSymbol(cls, attribute, *pair)
            by_value[symbol.value] = symbol
            setattr(cls, attribute, symbol)
        cls._by_value = by_value

    def __iter__(cls) -> Iterator[EnumSymbol]:
        """Iterate over the members, in the order the class body declares them."""
        return iter(cls._by_value.values())


class DeclEnum(metaclass=_Members):
    """An enumeration declared as ``name = "stored value", "Description"`` pairs in a subclass's body."""

    @classmethod
    def from_string(cls, value: str) -> EnumSymbol:
        """Return the member whose stored value is ``value``; EnumParsingException when there is none."""
        try:
            return cls._by_value[value]
        except KeyError:
            raise EnumParsingException(f'{value!r} is no {cls.__name__}') from None

    @classmethod
    def values(cls) -> KeysView[str]:
        """Return the stored values of the members."""
        return cls._by_value.keys()

    @classmethod
    def db_type(cls) -> DeclEnumType:
        """Return the column type that stores this enum's members."""
        return DeclEnumType(cls)


class DeclEnumType(TypeDecorator):
    """Column type of a :class:`DeclEnum`: a member is stored as its ``value``, a string of at most 50 characters."""

    impl = sa.String(50)
    cache_ok = True

    def __init__(self, enum: Any) -> None:
        super().__init__()
        self.enum = enum

    def copy(self, **kwargs: Any) -> DeclEnumType:
        """Return a type for the same enum."""
        return DeclEnumType(self.enum)

    def process_bind_param(self, value: Optional[EnumSymbol], dialect: Dialect) -> Optional[str]:
        """Store a member as its value; anything without ``.value`` (a plain string) raises AttributeError."""
        if value is None:
            return None
        return value.value

    def process_result_value(self, value: Optional[str], dialect: Dialect) -> Optional[EnumSymbol]:
        """Read a stored value back as its member."""
        if value is None:
            return None
        return self.enum.from_string(value.strip())
