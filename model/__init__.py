"""Z3 model of CAPIF security: compiles the catalogue in ``spec/`` to a relational transition system,
proves properties with inductive invariants and finds shortest counterexamples by bounded search.

Imports nothing from :mod:`impl` or :mod:`replay`.
"""
