"""The oracle's own database: SQLModel tables (``oracle_`` prefix), engines and Alembic migrations."""
