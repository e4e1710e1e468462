from pathlib import Path

import pytest
import yaml

PACKS = Path(__file__).resolve().parents[2] / "plans" / "packs"


def read_pack(name: str) -> dict:
    return yaml.safe_load((PACKS / f"{name}.yaml").read_text(encoding="utf-8"))


@pytest.fixture
def load_pack(db):
    """Load a shipped pack into the test database and return its tenant."""
    from plans.policy import policy_pack_load

    def load(name: str):
        return policy_pack_load(document=read_pack(name)).tenant

    return load
