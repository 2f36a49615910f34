"""Customized runs: who asked for a run and which regression tests it holds.

A platform deployment uses the platform's own ``mod_customized/models.py``
instead of this file; this copy keeps its tables, column names and types.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base


class TestFork(Base):
    """The platform account that asked for a run."""

    __tablename__ = 'test_fork'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('user.id', ondelete='CASCADE'))
    test_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('test.id', ondelete='CASCADE'))


class CustomizedTest(Base):
    """A regression test a run was limited to; a run without any holds them all."""

    __tablename__ = 'customized_test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('test.id', ondelete='CASCADE'))
    regression_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('regression_test.id', ondelete='CASCADE'))
