"""The typer command line: a thin layer over :mod:`safescore.api`."""
