"""OGC API - Features (Parts 1-3, read only) under /ogc: Tuban's batches, reference layers and
cases as collections for GIS clients (QGIS, GDAL, OWSLib), with the API's own login and
visibility, plus read-only API keys for desk clients that cannot send a header."""
