"""Regression tests, their categories and expected outputs, as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_regression/models.py``
instead of this file; this copy keeps its tables, column names, types, keys
and enum values.
"""

from __future__ import annotations

import enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, DeclEnum

regressionTestLinkTable = sa.Table(
    'regression_test_category', Base.metadata,
    sa.Column('regression_id', sa.Integer, sa.ForeignKey('regression_test.id', ondelete='CASCADE'),
              primary_key=True),
    sa.Column('category_id', sa.Integer, sa.ForeignKey('category.id', ondelete='CASCADE'), primary_key=True),
    mysql_engine='InnoDB',
)


class InputType(enum.Enum):
    """How CCExtractor receives the sample."""

    file = 'file'
    stdin = 'stdin'
    udp = 'udp'


class OutputType(enum.Enum):
    """Where CCExtractor writes its output."""

    file = 'file'
    null = 'null'
    tcp = 'tcp'
    cea708 = 'cea708'
    multi_program = 'multiprogram'
    stdout = 'stdout'
    report = 'report'


class Category(Base):
    """A group of regression tests (for example "DVB" or "Teletext")."""

    __tablename__ = 'category'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True)


class RegressionTest(Base):
    """One CCExtractor invocation on a sample, with its expected exit code."""

    __tablename__ = 'regression_test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sample_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('sample.id', ondelete='CASCADE'))
    command: Mapped[str] = mapped_column(sa.Text())
    input_type: Mapped[InputType] = mapped_column(DeclEnum(InputType))
    output_type: Mapped[OutputType] = mapped_column(DeclEnum(OutputType))
    expected_rc: Mapped[int] = mapped_column(sa.Integer)
    active: Mapped[Optional[bool]] = mapped_column(sa.Boolean(), default=True)
    description: Mapped[Optional[str]] = mapped_column(sa.String(length=1024), nullable=True)
    last_passed_on_windows: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', ondelete='SET NULL'), nullable=True)
    last_passed_on_linux: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', ondelete='SET NULL'), nullable=True)


class RegressionTestOutput(Base):
    """An expected output file of a regression test (its baseline)."""

    __tablename__ = 'regression_test_output'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    regression_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('regression_test.id', ondelete='CASCADE'))
    correct: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
    correct_extension: Mapped[str] = mapped_column(sa.String(64))
    expected_filename: Mapped[str] = mapped_column(sa.Text())
    ignore: Mapped[Optional[bool]] = mapped_column(sa.Boolean(), default=False)


class RegressionTestOutputFiles(Base):
    """An extra acceptable baseline (variant) of an expected output."""

    __tablename__ = 'regression_test_output_files'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    file_hashes: Mapped[str] = mapped_column(sa.Text())
    regression_test_output_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test_output.id', ondelete='CASCADE'))
