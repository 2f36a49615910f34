"""Alembic environment of the standalone host.

The platform has its own ``migrations/env.py``; a deployment copies only the
files of ``versions/`` that belong to the ``mod_api`` branch. This one reads
the database from the app's ``DATABASE_URI``, so it works whether the host
uses Flask-SQLAlchemy (as ``run.py`` does) or plain SQLAlchemy.
"""

from __future__ import annotations

from logging.config import fileConfig

import sqlalchemy as sa
from alembic import context
from flask import current_app

from database import Base

if context.config.config_file_name is not None:
    # Keep the app's own loggers (and pytest's capture) working.
    fileConfig(context.config.config_file_name, disable_existing_loggers=False)

url = current_app.config['DATABASE_URI']
options = current_app.extensions['migrate'].configure_args


def run_offline() -> None:
    """Write the SQL instead of running it (``flask db upgrade --sql``)."""
    context.configure(url=url, target_metadata=Base.metadata, literal_binds=True, **options)
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    """Run the migrations on the database."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            context.configure(connection=connection, target_metadata=Base.metadata, **options)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
