"""Platform accounts, as far as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_auth/models.py`` instead
of this file; this copy keeps its table, columns, types, nullability, keys and
enum values (``name`` may be NULL; ``password`` may not, and has no default).
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, DeclEnum, EnumSymbol


class Role(DeclEnum):
    """Role of a platform account."""

    admin: EnumSymbol = 'admin', 'Admin'  # type: ignore[assignment]
    user: EnumSymbol = 'user', 'User'  # type: ignore[assignment]
    contributor: EnumSymbol = 'contributor', 'Contributor'  # type: ignore[assignment]
    tester: EnumSymbol = 'tester', 'Tester'  # type: ignore[assignment]


class User(Base):
    """A platform account."""

    __tablename__ = 'user'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[Optional[str]] = mapped_column(sa.String(50), unique=True, nullable=True)
    email: Mapped[Optional[str]] = mapped_column(sa.String(255), unique=True, nullable=True)
    github_token: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
    github_login: Mapped[Optional[str]] = mapped_column(sa.String(255), nullable=True)
    password: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    role: Mapped[Optional[EnumSymbol]] = mapped_column(Role.db_type(), nullable=True)
