"""Regression tests, their categories and expected outputs, as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_regression/models.py``
instead of this file; this copy keeps its tables, columns, types,
nullability, keys, foreign key actions and enum values. Nearly every column
may be NULL there, so here too (``expected_rc``, ``active``, ``correct``,
``ignore``, ``regression_id``...); the link table of tests and categories
has no primary key, so the same link may be stored twice.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, DeclEnum, EnumSymbol

regressionTestLinkTable = sa.Table(
    'regression_test_category', Base.metadata,
    sa.Column('regression_id', sa.Integer,
              sa.ForeignKey('regression_test.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True),
    sa.Column('category_id', sa.Integer,
              sa.ForeignKey('category.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True),
)


class InputType(DeclEnum):
    """How CCExtractor receives the sample."""

    file: EnumSymbol = 'file', 'File'  # type: ignore[assignment]
    stdin: EnumSymbol = 'stdin', 'Stdin'  # type: ignore[assignment]
    udp: EnumSymbol = 'udp', 'UDP'  # type: ignore[assignment]


class OutputType(DeclEnum):
    """Where CCExtractor writes its output."""

    file: EnumSymbol = 'file', 'File'  # type: ignore[assignment]
    null: EnumSymbol = 'null', 'Null'  # type: ignore[assignment]
    tcp: EnumSymbol = 'tcp', 'TCP'  # type: ignore[assignment]
    cea708: EnumSymbol = 'cea708', 'CEA-708'  # type: ignore[assignment]
    multi_program: EnumSymbol = 'multiprogram', 'Multi-program'  # type: ignore[assignment]
    stdout: EnumSymbol = 'stdout', 'Stdout'  # type: ignore[assignment]
    report: EnumSymbol = 'report', 'Report'  # type: ignore[assignment]


class Category(Base):
    """A group of regression tests (for example "DVB" or "Teletext")."""

    __tablename__ = 'category'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True, nullable=True)
    description: Mapped[str] = mapped_column(sa.Text(), nullable=False)


class RegressionTest(Base):
    """One CCExtractor invocation on a sample, with its expected exit code."""

    __tablename__ = 'regression_test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sample_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('sample.id', onupdate='CASCADE', ondelete='CASCADE'), nullable=True)
    command: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    input_type: Mapped[Optional[EnumSymbol]] = mapped_column(InputType.db_type(), nullable=True)
    output_type: Mapped[Optional[EnumSymbol]] = mapped_column(OutputType.db_type(), nullable=True)
    expected_rc: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)
    active: Mapped[Optional[bool]] = mapped_column(sa.Boolean(), default=True, nullable=True)
    last_passed_on_windows: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='SET NULL'), nullable=True)
    last_passed_on_linux: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='SET NULL'), nullable=True)
    description: Mapped[Optional[str]] = mapped_column(sa.String(length=1024), nullable=True)


class RegressionTestOutput(Base):
    """An expected output file of a regression test (its baseline)."""

    __tablename__ = 'regression_test_output'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    regression_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True)
    correct: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
    correct_extension: Mapped[str] = mapped_column(sa.String(64), nullable=False)  # with its dot: ".srt"
    expected_filename: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
    ignore: Mapped[Optional[bool]] = mapped_column(sa.Boolean(), default=False, nullable=True)


class RegressionTestOutputFiles(Base):
    """An extra acceptable baseline (variant) of an expected output."""

    __tablename__ = 'regression_test_output_files'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    file_hashes: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
    regression_test_output_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test_output.id', onupdate='CASCADE', ondelete='RESTRICT'),
        nullable=True)
