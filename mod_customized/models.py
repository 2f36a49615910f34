"""Customized runs: who asked for a run and which regression tests it holds.

A platform deployment uses the platform's own ``mod_customized/models.py``
instead of this file; this copy keeps its tables, columns, types,
nullability and foreign key actions.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base


class TestFork(Base):
    """The platform account that asked for a run."""

    __tablename__ = 'test_fork'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    user_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('user.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True)
    test_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True)


class CustomizedTest(Base):
    """A regression test a run was limited to; a run without any holds them all."""

    __tablename__ = 'customized_test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    test_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True)
    regression_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', onupdate='CASCADE', ondelete='CASCADE'), nullable=True)
