"""Pure domain logic: the rubric, scoring, periods, progress, the batch model.

Standard library only (guarded by the import contract and ``tests/domain/test_purity.py``).
"""
