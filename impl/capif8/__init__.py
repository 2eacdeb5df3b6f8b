"""CAPIF-8: the resource owner function (ROF) and the CCF's authorization function (AzF)
(contribution 003, TR 33.700-22 solution 2; TS 23.222 clause 8.31 for the resource owner's role).

* :mod:`~impl.capif8.azf`: the AzF's decisions: registering a ROF (the operator), recording a resource
  owner's authorization from an authenticated ROF, and answering the token endpoint whether a token
  carrying ``resOwnerId`` (TS 29.222 ``AccessTokenReq``) may be issued;
* :mod:`~impl.capif8.server`: the CAPIF-8 endpoint, with the protection and ROF authentication the
  options name (``capif8-protection``, ``rof-authentication``);
* :mod:`~impl.capif8.rof`: the ROF's client library; :mod:`~impl.capif8.messages` the bodies;
  :mod:`~impl.capif8.store` the AzF's tables.

TS 29.222 has no CAPIF-8 API: the one here is non-standard (``/capifsec-capif8/v1``), documented in
``docs/capif8.md``.
"""
