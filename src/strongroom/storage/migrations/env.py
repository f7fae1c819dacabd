"""Alembic environment: runs against the connection handed over by strongroom.storage.migrate."""

from alembic import context

from strongroom.storage.schema import metadata

connection = context.config.attributes.get("connection")
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
