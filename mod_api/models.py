"""The API's own table: the bearer tokens it issued.

Named ``api_access_token``: platform builds from mid-2026 already have a
table called ``api_token``. ``user_id`` has no foreign key on purpose: the
API's migration must apply to a database without the platform's tables too;
a token whose account is gone is refused all the same.
"""

from __future__ import annotations

import datetime
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from database import Base


class AccessToken(Base):
    """One issued bearer token (the token itself is never stored, only its ``jti``)."""

    __tablename__ = 'api_access_token'
    __table_args__ = {'mysql_engine': 'InnoDB'}

    id: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    jti: Mapped[str] = mapped_column(sa.String(64), unique=True, nullable=False)
    user_id: Mapped[int] = mapped_column(sa.Integer, nullable=False, index=True)
    label: Mapped[str] = mapped_column(sa.String(200), nullable=False, default='')
    scopes: Mapped[str] = mapped_column(sa.String(255), nullable=False)
    created_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(), nullable=False)
    expires_at: Mapped[datetime.datetime] = mapped_column(sa.DateTime(), nullable=False)
    revoked_at: Mapped[Optional[datetime.datetime]] = mapped_column(sa.DateTime(), nullable=True)
    last_used_at: Mapped[Optional[datetime.datetime]] = mapped_column(sa.DateTime(), nullable=True)
