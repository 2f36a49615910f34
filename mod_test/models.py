"""CI runs and what they produced, as far as ``mod_api`` reads them.

The platform calls a run a *test*: one ``test`` row per CI run of a commit or
pull request on one platform. A platform deployment uses the platform's own
``mod_test/models.py`` instead of this file; this copy keeps its tables,
column names, types, keys and enum values.
"""

from __future__ import annotations

import datetime
import enum
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base, DeclEnum


class TestPlatform(enum.Enum):
    """Operating system a run executes on."""

    linux = 'linux'
    windows = 'windows'


class TestType(enum.Enum):
    """What a run tests: a pushed commit or a pull request."""

    commit = 'commit'
    pull_request = 'pr'


class TestStatus(enum.Enum):
    """One state of a run, recorded as a ``test_progress`` row."""

    preparation = 'preparation'
    testing = 'testing'
    completed = 'completed'
    canceled = 'canceled'


class Fork(Base):
    """A GitHub repository (CCExtractor's own, or a fork of it)."""

    __tablename__ = 'fork'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    github: Mapped[str] = mapped_column(sa.String(256), unique=True)


class Test(Base):
    """One CI run (the API calls it a *run*)."""

    __tablename__ = 'test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    platform: Mapped[TestPlatform] = mapped_column(DeclEnum(TestPlatform), nullable=False)
    test_type: Mapped[TestType] = mapped_column(DeclEnum(TestType), nullable=False)
    token: Mapped[str] = mapped_column(sa.String(64), unique=True)
    fork_id: Mapped[Optional[int]] = mapped_column(sa.Integer, sa.ForeignKey('fork.id', ondelete='CASCADE'))
    branch: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    commit: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    pr_nr: Mapped[int] = mapped_column(sa.Integer, nullable=False, default=0)


class TestProgress(Base):
    """One state transition of a run; the highest id is the run's state."""

    __tablename__ = 'test_progress'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    test_id: Mapped[int] = mapped_column(sa.Integer, sa.ForeignKey('test.id', ondelete='CASCADE'))
    status: Mapped[TestStatus] = mapped_column(DeclEnum(TestStatus), nullable=False)
    timestamp: Mapped[datetime.datetime] = mapped_column(sa.DateTime(), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text(), nullable=False)


class TestResult(Base):
    """The outcome of one regression test in one run."""

    __tablename__ = 'test_result'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', ondelete='CASCADE'), primary_key=True)
    regression_test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', ondelete='CASCADE'), primary_key=True)
    runtime: Mapped[int] = mapped_column(sa.Integer)
    exit_code: Mapped[int] = mapped_column(sa.Integer)
    expected_rc: Mapped[int] = mapped_column(sa.Integer)


class TestResultFile(Base):
    """One output file a CI worker reported for a regression test in a run.

    ``got`` NULL means the output was identical to ``expected``; otherwise it
    holds the sha256 of the actual file.
    """

    __tablename__ = 'test_result_file'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', ondelete='CASCADE'), primary_key=True)
    regression_test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', ondelete='CASCADE'), primary_key=True)
    regression_test_output_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test_output.id', ondelete='CASCADE'), primary_key=True)
    expected: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    got: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
