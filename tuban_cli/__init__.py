"""The ``tuban`` command line: import, serve, demo, export, report."""
