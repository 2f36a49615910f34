"""Media samples and their tags, as far as ``mod_api`` reads them.

A platform deployment uses the platform's own ``mod_sample/models.py`` instead
of this file; this copy keeps its tables, columns, types, nullability, keys
and indexes.
"""

from __future__ import annotations

from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base

# The platform declares no actions on these foreign keys, and no table options.
sample_tag_association = sa.Table(
    'sample_tag_association', Base.metadata,
    sa.Column('sample_id', sa.Integer, sa.ForeignKey('sample.id'), primary_key=True, nullable=False),
    sa.Column('tag_id', sa.Integer, sa.ForeignKey('tag.id'), primary_key=True, nullable=False),
)


class Tag(Base):
    """A label a maintainer puts on samples (for example a broadcaster or a format)."""

    __tablename__ = 'tag'
    __table_args__ = (sa.Index('tag_name_index', 'name'), {'mysql_engine': 'InnoDB'})

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    description: Mapped[Optional[str]] = mapped_column(sa.String(length=1024), nullable=True)


class Sample(Base):
    """A media file that regression tests run CCExtractor on."""

    __tablename__ = 'sample'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    sha: Mapped[Optional[str]] = mapped_column(sa.String(128), unique=True, nullable=True)
    extension: Mapped[str] = mapped_column(sa.String(64), nullable=False)
    original_name: Mapped[str] = mapped_column(sa.Text(), nullable=False)
