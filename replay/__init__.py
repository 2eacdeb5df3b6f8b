"""Replays model traces against a CAPIF deployment through the TS 29.222 REST APIs."""
