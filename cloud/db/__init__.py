"""Storage: SQLAlchemy 2 async ORM models, engine/session setup, Alembic runner, repositories."""
