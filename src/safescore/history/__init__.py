"""History of scored periods (SPEC 7): where the database is and what it keeps.

>>> from safescore.history import HistoryStore, resolve_db_url  # doctest: +SKIP
>>> store = HistoryStore(resolve_db_url(None))                    # doctest: +SKIP
"""

from safescore.history.db_url import DbUrlError, resolve_db_url
from safescore.history.store import HistoryError, HistoryStore, RunInfo, RunNotFound

__all__ = ["DbUrlError", "HistoryError", "HistoryStore", "RunInfo", "RunNotFound", "resolve_db_url"]
