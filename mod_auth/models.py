"""Platform accounts, as far as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_auth/models.py`` instead
of this file; this copy keeps its table, column names, types and enum values.
"""

from __future__ import annotations

import enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, DeclEnum


class Role(enum.Enum):
    """Role of a platform account."""

    admin = 'admin'
    user = 'user'
    contributor = 'contributor'
    tester = 'tester'


class User(Base):
    """A platform account."""

    __tablename__ = 'user'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50), unique=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(255), unique=True, nullable=True)
    role: Mapped[Role] = mapped_column(DeclEnum(Role), default=Role.user)
