"""Media samples and their tags, as far as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_sample/models.py`` instead
of this file; this copy keeps its tables, column names and types.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base

sample_tag_association = sa.Table(
    'sample_tag_association', Base.metadata,
    sa.Column('sample_id', sa.Integer, sa.ForeignKey('sample.id', ondelete='CASCADE'), primary_key=True),
    sa.Column('tag_id', sa.Integer, sa.ForeignKey('tag.id', ondelete='CASCADE'), primary_key=True),
    mysql_engine='InnoDB',
)


class Sample(Base):
    """A media file that regression tests run CCExtractor on."""

    __tablename__ = 'sample'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sha: Mapped[str] = mapped_column(sa.String(128), unique=True)
    extension: Mapped[str] = mapped_column(sa.String(64))
    original_name: Mapped[str] = mapped_column(sa.Text)


class Tag(Base):
    """A label a maintainer puts on samples (for example a broadcaster or a format)."""

    __tablename__ = 'tag'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    description: Mapped[Optional[str]] = mapped_column(sa.Text, nullable=True)
