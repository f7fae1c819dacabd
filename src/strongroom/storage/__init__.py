"""SQLAlchemy 2 storage: schema, repositories, unit of work and Alembic migrations."""
