"""Review tests build against the scripted fault server (tests/build/conftest.py): real client,
real journal, real curation index, no model."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.fault_server import FaultServer
from tests.support.scripted_model import scripted_model


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer(responder=scripted_model) as running:
        yield running
