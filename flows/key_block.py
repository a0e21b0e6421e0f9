"""Endpoint keys from a Prefect Secret block, so they never travel as flow parameters.

When SEEDFORGE_OPENAI_KEY_BLOCK names a Secret block, its value becomes OPENAI_API_KEY for
this process; the LLM layer reads the key from the environment only."""

from __future__ import annotations

import os
from typing import Any

KEY_BLOCK_ENV = "SEEDFORGE_OPENAI_KEY_BLOCK"


def load_api_key_from_block() -> bool:
    """True when a key was loaded from the named block."""
    block_name = os.environ.get(KEY_BLOCK_ENV)
    if not block_name:
        return False
    from prefect.blocks.system import Secret

    secret: Any = Secret.load(block_name)  # a sync load outside async code
    os.environ["OPENAI_API_KEY"] = str(secret.get())
    return True
