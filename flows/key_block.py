"""Endpoint keys from a Prefect Secret block, so they never travel as flow parameters.

When SEEDFORGE_OPENAI_KEY_BLOCK names a Secret block, its value becomes OPENAI_API_KEY for
this process; the LLM layer reads the key from the environment only."""

from __future__ import annotations

import os

KEY_BLOCK_ENV = "SEEDFORGE_OPENAI_KEY_BLOCK"


def load_api_key_from_block() -> bool:
    """True when a key was loaded from the named block."""
    block_name = os.environ.get(KEY_BLOCK_ENV)
    if not block_name:
        return False
    from prefect.blocks.system import Secret

    os.environ["OPENAI_API_KEY"] = str(Secret.load(block_name).get())
    return True
