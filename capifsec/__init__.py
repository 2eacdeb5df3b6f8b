"""capifsec: a formal model and a reference implementation of 3GPP CAPIF security."""

__version__ = "0.1.0"
