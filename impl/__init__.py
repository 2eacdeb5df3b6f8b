"""Reference implementation of CAPIF security over real TLS (TS 23.222, TS 29.222, TS 33.122).

Written from the 3GPP specifications and the contributions in ``shared/3gpp/contributions``; it never
imports :mod:`model`, so that comparing the two (through the trace format) proves something.
"""
