"""The CAPIF core function's persistent state in SQLite (WAL, ``synchronous=FULL``, foreign keys).

:class:`Database` opens (or creates) the file and hands out one transaction per service call; the
modules beside it are the parameterised reads and writes of each kind of record.
"""

from impl.store.database import Database, StoreError, Transaction

__all__ = ["Database", "StoreError", "Transaction"]
