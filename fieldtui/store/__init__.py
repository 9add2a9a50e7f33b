"""SQLite storage. Imports the domain only; never Textual.

Use :func:`fieldtui.store.store.open_store` to get a :class:`~fieldtui.store.store.Store`.
"""
