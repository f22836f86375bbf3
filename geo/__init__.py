"""Tuban's pure geospatial library: 图斑 data model, layer import, area, case workflow, indicators.

Nothing here imports FastAPI, SQLAlchemy or the web map; storage and api build on this package.
"""
