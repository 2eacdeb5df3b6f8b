"""Security method negotiation: what an entry of ``ServiceSecurity`` names, and the method chosen.

TS 33.122 clause 6.3.1.2 (contribution 004 for CAPIF-1e): the CCF chooses the method for CAPIF-2e
from the invoker's preferences and what the AEF supports. TS 29.222: ``InterfaceDescription
.securityMethods`` takes precedence over ``AefProfile.securityMethods`` for that interface.

Decisions where the specifications leave a choice:

* An entry naming an AEF (``aefId``, as the ETSI OpenCAPIF SDK sends it) covers every interface of
  that AEF in the covered APIs (all its APIs, or ``apiId``'s); a method is offered when one of those
  interfaces offers it, and the selection holds on the interfaces that offer the selected method (an
  AEF commonly has one interface per method). An entry naming an interface (``interfaceDetails``)
  can use the methods that interface offers in every covered API.
* PSK needs an interface to bind AEFPSK to (Annex A.1 ``P0``): a profile with only ``domainName``,
  or an interface the KDF cannot encode, does not offer PSK.
* Among the methods both the invoker prefers and the target supports, ``method-selection-rule``
  decides: ``invoker-order`` takes the first in the invoker's order; ``any-common`` ignores that order
  (as ETSI OpenCAPIF does, taking an element of the set intersection) and takes the first in the
  order of TS 29.222 ``SecurityMethod`` (PSK, PKI, OAUTH), so the same request always gets the same
  answer. When no method is common, nothing is selected (the caller refuses the request).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from impl.aefpsk import AefpskInputError, ServiceApiInterface
from impl.apitypes.enums import SecurityMethod
from impl.apitypes.publish import AefProfile, InterfaceDescription, ServiceAPIDescription
from impl.apitypes.security import SecurityInformation
from impl.settings import MethodSelectionRule


class AmbiguousInterfaceError(ValueError):
    """An interface named in ``interfaceDetails`` is published for more than one AEF."""


@dataclass(frozen=True)
class Target:
    """What one ``SecurityInformation`` entry names among a set of published APIs: the AEF, the APIs,
    and each covered interface (None for a profile published without one) with the methods it offers."""

    aef_id: str
    api_ids: tuple[str, ...]
    offers: tuple[tuple[InterfaceDescription | None, frozenset[SecurityMethod]], ...]

    @property
    def supported(self) -> frozenset[SecurityMethod]:
        """The methods the entry may select: offered on at least one covered interface."""
        return frozenset().union(*(methods for _, methods in self.offers))

    def interfaces_offering(self, method: SecurityMethod) -> tuple[InterfaceDescription, ...]:
        """The covered interfaces (without their methods) on which ``method`` is offered."""
        return tuple(interface for interface, methods in self.offers if interface and method in methods)


def resolve(information: SecurityInformation, apis: Iterable[ServiceAPIDescription]) -> Target | None:
    """The AEF, APIs and interfaces with their methods the entry covers in ``apis``; None if nothing."""
    matches: list[tuple[str, AefProfile, InterfaceDescription | None]] = []
    for api in apis:
        assert api.api_id is not None
        if information.api_id is not None and api.api_id != information.api_id:
            continue
        for profile in api.active_profiles():
            matches.extend((api.api_id, profile, interface) for interface in _covered(information, profile))
    if not matches:
        return None
    aef_ids = {profile.aef_id for _, profile, _ in matches}
    if len(aef_ids) > 1:
        raise AmbiguousInterfaceError(f"the interface is published for AEFs {', '.join(sorted(aef_ids))}")
    offers: dict[object, tuple[InterfaceDescription | None, frozenset[SecurityMethod]]] = {}
    for _, profile, interface in matches:
        key = None if interface is None else interface.address_key()
        methods = _methods(profile, interface)
        if key in offers:  # one interface published in several APIs: what all of them offer there
            methods &= offers[key][1]
        offers[key] = (None if interface is None else interface.without_methods(), methods)
    return Target(
        aef_id=aef_ids.pop(),
        api_ids=tuple(dict.fromkeys(api_id for api_id, _, _ in matches)),
        offers=tuple(offers.values()),
    )


def _covered(information: SecurityInformation, profile: AefProfile) -> Sequence[InterfaceDescription | None]:
    if information.interface_details is not None:
        wanted = information.interface_details.address_key()
        return [i for i in profile.interface_descriptions or () if i.address_key() == wanted]
    if profile.aef_id != information.aef_id:
        return []
    return profile.interface_descriptions or [None]


def _methods(profile: AefProfile, interface: InterfaceDescription | None) -> frozenset[SecurityMethod]:
    if interface is None:
        return frozenset(profile.security_methods or ()) - {SecurityMethod.PSK}
    methods = frozenset(interface.security_methods or profile.security_methods or ())
    if psk_interface(interface) is None:
        return methods - {SecurityMethod.PSK}
    return methods


def psk_interface(interface: InterfaceDescription) -> ServiceApiInterface | None:
    """The interface as the AEFPSK KDF encodes it (``P0``), or None when it cannot."""
    try:
        return ServiceApiInterface.from_interface_description(interface.to_json())
    except AefpskInputError:
        return None


def select_method(
    preferred: Sequence[SecurityMethod],
    supported: frozenset[SecurityMethod],
    rule: MethodSelectionRule = MethodSelectionRule.INVOKER_ORDER,
) -> SecurityMethod | None:
    """A method both preferred and supported, chosen by ``rule`` (module docstring), or None
    (TS 33.122 clause 6.3.1.2)."""
    order = preferred if rule is MethodSelectionRule.INVOKER_ORDER else tuple(SecurityMethod)
    common = frozenset(preferred) & supported
    return next((method for method in order if method in common), None)
