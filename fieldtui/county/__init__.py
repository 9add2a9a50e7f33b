"""The county centre's side: receive, store, import and report the townships' batches.

- ``store``: the county database (townships, token hashes, received batches; append-only).
- ``auth``: tokens made once, stored as hashes, compared in constant time.
- ``intake``: the one path a batch takes in (push or import): parse, look up, validate, store.
- ``server`` / ``limits`` / ``serve``: the Starlette endpoint, its limits, uvicorn.
- ``importer``: e-mailed batches (.json, export .zip with manifest, .eml).
- ``report``: the county-wide report per period.
- ``openapi``: the endpoint's OpenAPI description.

Never imports Textual; Starlette and uvicorn are imported only by ``server``/``serve``, which
only ``fieldtui county serve`` loads.
"""
