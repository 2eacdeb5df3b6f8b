"""The network attacker's wiretap (:mod:`replay.network_attacker`) in front of a plaintext endpoint: it
passes requests and answers on unchanged and keeps what it read, answers a request itself, replaces
an answer, drops a request, and leaves no thread behind when stopped."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator

import pytest

from impl.http import HttpClientError, HttpsClient, HttpsServer, Request, Response, Router
from impl.tls.plaintext import PlaintextClient, PlaintextServer
from replay.network_attacker import Interception, Wiretap

PATH = "/echo"


def _echo(request: Request) -> Response:
    document = request.json()
    assert isinstance(document, dict)
    return Response.json({"echo": document.get("name"), "served": True})


@pytest.fixture
def wiretap() -> Iterator[Wiretap]:
    router = Router()
    router.add("POST", PATH, _echo)
    with HttpsServer(router, PlaintextServer()) as server:
        tap = Wiretap("127.0.0.1", ("127.0.0.1", server.port))
        tap.start()
        try:
            yield tap
        finally:
            tap.stop()


def _post(tap: Wiretap, name: str) -> tuple[int, object]:
    with HttpsClient(PlaintextClient(), "127.0.0.1", tap.port) as client:
        response = client.post_json(PATH, {"name": name})
        return response.status, response.json()


def _named(name: str) -> Interception:
    return Interception(PATH, lambda document: document.get("name") == name)


def test_it_relays_unchanged_and_reads_everything(wiretap: Wiretap) -> None:
    with HttpsClient(PlaintextClient(), "127.0.0.1", wiretap.port) as client:
        for name in ("a", "b"):
            response = client.post_json(PATH, {"name": name})
            assert (response.status, response.json()) == (200, {"echo": name, "served": True})
    assert [(message.path, message.status) for message in wiretap.read] == [(PATH, 200), (PATH, 200)]
    assert json.loads(wiretap.read[1].answer.partition(b"\r\n\r\n")[2]) == {"echo": "b", "served": True}


def test_it_answers_changes_and_drops_what_it_was_told_to(wiretap: Wiretap) -> None:
    answer = _named("answered")
    answer.answer = lambda document: (200, {"echo": "made up"})
    changed = _named("changed")
    changed.change = lambda request, status, document: (status, {**document, "echo": "changed"})
    for interception in (answer, changed, _named("dropped")):
        wiretap.intercept(interception)
    assert _post(wiretap, "answered") == (200, {"echo": "made up"})
    assert _post(wiretap, "changed") == (200, {"echo": "changed", "served": True})
    with pytest.raises(HttpClientError):
        _post(wiretap, "dropped")
    assert _post(wiretap, "other") == (200, {"echo": "other", "served": True})
    assert [message.status for message in wiretap.read] == [200, 200, None, 200]
    wiretap.forget()
    assert _post(wiretap, "answered") == (200, {"echo": "answered", "served": True})


def test_stopping_leaves_no_thread(wiretap: Wiretap) -> None:
    _post(wiretap, "a")
    wiretap.stop()
    assert not [thread for thread in threading.enumerate() if thread.name == "capifsec-wiretap"]
