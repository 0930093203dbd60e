"""A real Janus for this folder's tests (one per xdist worker, in its own network namespace:
tests/janus_kit.py says why), and the test thread switched into that namespace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from protocols.ice_hosts import restrict_ice_hosts
from tests import janus_kit


@pytest.fixture(scope="module")
def janus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[janus_kit.JanusServer]:
    from tests.conftest import require_or_skip

    if (lack := janus_kit.missing()) is not None:
        require_or_skip(f"Janus ({lack})")
    folder: Path = tmp_path_factory.mktemp("janus")
    server = janus_kit.start_janus(folder)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def inside_janus_namespace(janus: janus_kit.JanusServer) -> Iterator[None]:
    """Every socket the test makes (HTTP to Janus, the peers' ICE) lives in Janus's
    namespace; the peers offer only the namespace's address."""
    restrict_ice_hosts([janus_kit.MEDIA_ADDRESS])
    try:
        with janus.inside():
            yield
    finally:
        restrict_ice_hosts([])
