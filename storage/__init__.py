"""Persistence adapters, the only SQLAlchemy importer: SQLite by default, PostgreSQL too."""
