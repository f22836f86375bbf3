"""Persistence adapters: the only package that imports SQLAlchemy. SQLite by default, PostgreSQL too."""
