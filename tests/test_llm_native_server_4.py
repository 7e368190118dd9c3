"""test_llm_native_server.py's tests against llama.cpp's ``llama-server`` with ``--parallel 4`` (four slots,
8k context each): the limit starts at the four slots /props states, and the context is the slot's."""

from __future__ import annotations

import pytest

from test_llm_native_server import (  # noqa: F401 (the tests and their fixture, run here with four slots)
    server,
    test_doctor_shows_the_servers_slots_and_context,
    test_every_commit_of_a_small_day_is_analysed_with_the_servers_slots,
    test_the_server_states_its_slots_and_context,
)

pytestmark = pytest.mark.llm_server

PARALLEL = 4
