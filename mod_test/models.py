"""CI runs and what they produced, as far as ``mod_api`` reads them.

The platform calls a run a *test*: one ``test`` row per CI run of a commit or
pull request on one platform. A platform deployment uses the platform's own
``mod_test/models.py`` instead of this file; this copy keeps its tables,
columns, types, nullability, keys, foreign key actions and enum values, and
how it keeps progress times: in UTC, written timezone-aware (a naive time is
taken as UTC), read back timezone-aware when loaded as a model (the database
itself returns them naive).
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, reconstructor
from sqlalchemy.orm.attributes import set_committed_value

from database import Base, DeclEnum, EnumSymbol


class TestPlatform(DeclEnum):
    """Operating system a run executes on."""

    linux: EnumSymbol = 'linux', 'Linux'  # type: ignore[assignment]
    windows: EnumSymbol = 'windows', 'Windows'  # type: ignore[assignment]


class TestType(DeclEnum):
    """What a run tests: a pushed commit or a pull request."""

    commit: EnumSymbol = 'commit', 'Commit'  # type: ignore[assignment]
    pull_request: EnumSymbol = 'pr', 'Pull Request'  # type: ignore[assignment]


class TestStatus(DeclEnum):
    """One state of a run, recorded as a ``test_progress`` row."""

    preparation: EnumSymbol = 'preparation', 'Preparation'  # type: ignore[assignment]
    testing: EnumSymbol = 'testing', 'Testing'  # type: ignore[assignment]
    completed: EnumSymbol = 'completed', 'Completed'  # type: ignore[assignment]
    canceled: EnumSymbol = 'canceled', 'Canceled/Error'  # type: ignore[assignment]


class Fork(Base):
    """A GitHub repository (CCExtractor's own, or a fork of it)."""

    __tablename__ = 'fork'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    github: Mapped[Optional[str]] = mapped_column(sa.String(256), unique=True, nullable=True)


class Test(Base):
    """One CI run (the API calls it a *run*)."""

    __tablename__ = 'test'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    platform: Mapped[EnumSymbol] = mapped_column(TestPlatform.db_type(), nullable=False)
    test_type: Mapped[EnumSymbol] = mapped_column(TestType.db_type(), nullable=False)
    token: Mapped[Optional[str]] = mapped_column(sa.String(64), unique=True, nullable=True)
    fork_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('fork.id', onupdate='CASCADE', ondelete='RESTRICT'), nullable=True)
    branch: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    commit: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    pr_nr: Mapped[int] = mapped_column(sa.Integer(), nullable=False, default=0)


def _as_utc(moment: datetime.datetime) -> datetime.datetime:
    """Take a naive time as UTC; leave an aware one as it is (the platform converts neither)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=datetime.timezone.utc)


class TestProgress(Base):
    """One state transition of a run; the highest id is the run's state."""

    __tablename__ = 'test_progress'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    test_id: Mapped[Optional[int]] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='CASCADE'), nullable=True)
    status: Mapped[EnumSymbol] = mapped_column(TestStatus.db_type(), nullable=False)
    timestamp: Mapped[datetime.datetime] = mapped_column(sa.DateTime(timezone=True), nullable=False)
    message: Mapped[str] = mapped_column(sa.Text(), nullable=False)

    def __init__(self, **fields: Any) -> None:
        """Take the columns as keywords; like the platform's, the time defaults to now and is made aware."""
        moment = fields.get('timestamp')
        fields['timestamp'] = (datetime.datetime.now(datetime.timezone.utc) if moment is None
                               else _as_utc(moment))
        super().__init__(**fields)

    @reconstructor
    def _loaded(self) -> None:
        """Mark a loaded time as UTC, as the platform does, without making the row look changed."""
        moment = self.__dict__.get('timestamp')
        if moment is not None:
            set_committed_value(self, 'timestamp', _as_utc(moment))


class TestResult(Base):
    """The outcome of one regression test in one run; its three numbers may each be NULL."""

    __tablename__ = 'test_result'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='CASCADE'), primary_key=True)
    regression_test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', onupdate='CASCADE', ondelete='CASCADE'), primary_key=True)
    runtime: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)  # milliseconds
    exit_code: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)
    expected_rc: Mapped[Optional[int]] = mapped_column(sa.Integer, nullable=True)


class TestResultFile(Base):
    """One output file a CI worker reported for a regression test in a run.

    ``got`` NULL means the output was identical to ``expected``; otherwise it
    holds the sha256 of the actual file.
    """

    __tablename__ = 'test_result_file'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('test.id', onupdate='CASCADE', ondelete='CASCADE'), primary_key=True)
    regression_test_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test.id', onupdate='CASCADE', ondelete='CASCADE'), primary_key=True)
    regression_test_output_id: Mapped[int] = mapped_column(
        sa.Integer, sa.ForeignKey('regression_test_output.id', onupdate='CASCADE', ondelete='CASCADE'),
        primary_key=True)
    expected: Mapped[str] = mapped_column(sa.Text(), nullable=False)
    got: Mapped[Optional[str]] = mapped_column(sa.Text(), nullable=True)
