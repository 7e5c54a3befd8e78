"""The backend database: SQLModel models, engines and sessions, Alembic migrations."""
