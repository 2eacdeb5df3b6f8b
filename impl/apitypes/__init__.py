"""The TS 29.222 JSON types the CAPIF core function reads and writes, validated and typed.

Each request type has a ``read`` that refuses malformed input with a 400 :class:`ProblemError`
naming the field (JSON Pointer) or query parameter, and every type has a ``to_json``.
"""
