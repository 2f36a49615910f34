"""Print what a platform-like tree's models define, as JSON: ``python schema_dump.py ROOT``.

``ROOT`` is a folder holding ``database.py`` and the ``mod_*/models.py`` that
``mod_api`` reads: this repository (the standalone host's slice) or the
platform's source. Both name their modules alike, and the platform's import
packages this repository does not install, so each side is dumped by its own
interpreter in a process of its own, and ``test_host_slice`` compares the
two outputs.

Two parts:

- ``tables``: what SQLAlchemy's metadata holds of every table: per column the
  type class, length, timezone flag, nullability, key, uniqueness, defaults
  and foreign keys with their actions; the table's constraints, indexes and
  MySQL options;
- ``enums``: for every enum class of the models, its members and how its
  column type behaves: what binding a member, its plain string or None gives,
  what reading a stored string (with spaces around, or unknown) gives, how a
  member compares, unpacks and pickles.

Exits with status 3, and the reason on stderr, when the models cannot be
imported (the interpreter lacks the tree's requirements).
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import pickle
import sys
from typing import Any, Callable, Dict, List, Optional

#: The modules that define the tables ``mod_api`` reads, in an order whose foreign keys resolve.
MODULES = ('database', 'mod_auth.models', 'mod_sample.models', 'mod_regression.models', 'mod_test.models',
           'mod_customized.models')
CANNOT_IMPORT = 3


def _type(column_type: Any) -> Dict[str, Any]:
    """Describe a column type: its class, and what distinguishes two of that class."""
    described: Dict[str, Any] = {
        'class': type(column_type).__name__,
        'length': getattr(column_type, 'length', None),
        'timezone': getattr(column_type, 'timezone', None),
    }
    impl = getattr(column_type, 'impl', None)
    if impl is not None:  # a TypeDecorator: what it stores
        described['impl'] = _type(impl)
    enum = getattr(column_type, 'enum', None)
    if enum is not None:
        described['enum'] = enum.__name__
    return described


def _default(column: Any) -> Optional[str]:
    default = column.default
    if default is None:
        return None
    if getattr(default, 'is_scalar', False):
        value = default.arg
        return repr(getattr(value, 'value', value))
    return 'callable'


def _column(column: Any) -> Dict[str, Any]:
    return {
        'type': _type(column.type),
        'nullable': column.nullable,
        'primary_key': column.primary_key,
        'unique': bool(column.unique),
        'index': bool(column.index),
        'default': _default(column),
        'server_default': None if column.server_default is None else str(column.server_default.arg),
        'foreign_keys': sorted([key.target_fullname, key.ondelete, key.onupdate] for key in column.foreign_keys),
    }


def _names(columns: Any) -> List[str]:
    return [column.name for column in columns]


def _table(table: Any) -> Dict[str, Any]:
    uniques = [constraint for constraint in table.constraints if type(constraint).__name__ == 'UniqueConstraint']
    return {
        'columns': {column.name: _column(column) for column in table.columns},
        'primary_key': _names(table.primary_key.columns),
        'unique_constraints': sorted(_names(constraint.columns) for constraint in uniques),
        'indexes': sorted([index.name, _names(index.columns), bool(index.unique)] for index in table.indexes),
        'options': {key: value for key, value in table.dialect_kwargs.items() if key.startswith('mysql_')},
    }


def _outcome(action: Callable[[], Any]) -> Dict[str, Any]:
    """What ``action`` gives: a value (a member as its name) or the class of the exception it raises."""
    try:
        with contextlib.redirect_stdout(io.StringIO()):  # the platform prints what it cannot parse
            value = action()
    except Exception as error:
        return {'raises': type(error).__name__}
    if hasattr(value, 'value') and hasattr(value, 'name'):
        return {'member': value.name}
    return {'returns': value}


def _enum(enum: Any) -> Dict[str, Any]:
    """Describe an enum class and the behaviour of its column type."""
    from sqlalchemy.dialects import sqlite

    dialect = sqlite.dialect()
    column_type = enum.db_type()
    members = list(enum)
    first = members[0]
    return {
        'members': [[symbol.name, symbol.value, symbol.description] for symbol in members],
        'values': sorted(enum.values()),
        'type': _type(column_type),
        'from_string': {text: _outcome(lambda text=text: enum.from_string(text))
                        for text in [symbol.value for symbol in members] + [f' {first.value} ', 'unknown']},
        'bind': {
            'member': _outcome(lambda: column_type.process_bind_param(first, dialect)),
            'plain string': _outcome(lambda: column_type.process_bind_param(first.value, dialect)),
            'None': _outcome(lambda: column_type.process_bind_param(None, dialect)),
        },
        'read': {
            'stored value': _outcome(lambda: column_type.process_result_value(first.value, dialect)),
            'with spaces around': _outcome(lambda: column_type.process_result_value(f' {first.value}\t', dialect)),
            'unknown': _outcome(lambda: column_type.process_result_value('unknown', dialect)),
            'None': _outcome(lambda: column_type.process_result_value(None, dialect)),
        },
        'member': {
            'attribute is the member': getattr(enum, first.name) is first,
            'read back is the member': column_type.process_result_value(first.value, dialect) is first,
            'equals its value': first == first.value,
            'unpacks as': list(first),
            'pickles as itself': pickle.loads(pickle.dumps(first)) is first,
            'hashable': _outcome(lambda: {first: 1}[first]),
        },
    }


def _defines_enum(module: Any, value: Any, base: type) -> bool:
    """Whether ``value`` is an enum class that ``module`` defines (not one it imports)."""
    if not isinstance(value, type) or value is base:
        return False
    return issubclass(value, base) and value.__module__ == module.__name__


def dump(root: str) -> Dict[str, Any]:
    """Import the models under ``root`` and describe their tables and enums."""
    sys.path.insert(0, root)
    modules = [importlib.import_module(name) for name in MODULES]
    database = modules[0]
    enums = {value.__name__: value for module in modules[1:] for value in vars(module).values()
             if _defines_enum(module, value, database.DeclEnum)}
    return {
        'tables': {name: _table(table) for name, table in sorted(database.Base.metadata.tables.items())},
        'enums': {name: _enum(enum) for name, enum in sorted(enums.items())},
    }


def main(argv: List[str]) -> int:
    """Print the dump of ``argv[1]``'s models."""
    if len(argv) != 2:
        sys.stderr.write(__doc__.splitlines()[0] + '\n')
        return 2
    try:
        described = dump(argv[1])
    except ImportError as error:
        sys.stderr.write(f'cannot import the models under {argv[1]} with {sys.executable}: {error!r}\n')
        return CANNOT_IMPORT
    json.dump(described, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
