"""Print the tables of a platform-like tree's models as JSON: ``python schema_dump.py ROOT``.

``ROOT`` is a folder holding ``database.py`` and the ``mod_*/models.py`` that
``mod_api`` reads: this repository (the standalone host's slice) or the
platform's source. Both name their modules alike, and the platform's import
packages this repository does not install, so each side is dumped by its own
interpreter in a process of its own, and the test compares the two outputs.

Only facts that SQLAlchemy's metadata holds are printed: per table its
columns (type class, length, timezone flag, nullability, key, uniqueness,
Python-side default, foreign keys with their actions), its constraints,
indexes and MySQL options; per enum column the enum's members.
"""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any, Dict, List, Optional

#: The modules that define the tables ``mod_api`` reads, in an order whose foreign keys resolve.
MODULES = ('database', 'mod_auth.models', 'mod_sample.models', 'mod_regression.models', 'mod_test.models',
           'mod_customized.models')


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
    if enum is not None:  # an enum column: the members, as (name, stored value, description)
        members = [[symbol.name, symbol.value, getattr(symbol, 'description', None)] for symbol in enum]
        described['enum'] = {'class': enum.__name__, 'members': sorted(members)}
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


def dump(root: str) -> Dict[str, Any]:
    """Import the models under ``root`` and describe every table of their metadata."""
    sys.path.insert(0, root)
    for name in MODULES:
        importlib.import_module(name)
    base = sys.modules['database'].Base
    return {name: _table(table) for name, table in sorted(base.metadata.tables.items())}


if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit(__doc__.splitlines()[0])
    json.dump(dump(sys.argv[1]), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write('\n')
