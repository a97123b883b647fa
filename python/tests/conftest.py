"""Shared fixtures: the reference data (../shared, or ENTENTE_TEST_DATA) and the entente binary.

As in the Rust suite, a test that needs data the repository cannot ship is skipped when the data
is missing, unless ENTENTE_REQUIRE_TEST_DATA=1 (CI), which makes it fail instead.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _required() -> bool:
    return os.environ.get("ENTENTE_REQUIRE_TEST_DATA") == "1"


@pytest.fixture(scope="session")
def shared() -> Path:
    """The reference data folder."""
    candidates = [os.environ.get("ENTENTE_TEST_DATA"), ROOT.parent / "shared"]
    for c in candidates:
        if c and (Path(c) / "eval").is_dir():
            return Path(c)
    if _required():
        pytest.fail("reference data not found (../shared or ENTENTE_TEST_DATA)")
    pytest.skip("reference data not found (../shared or ENTENTE_TEST_DATA)")


@pytest.fixture(scope="session")
def cli() -> Path:
    """The entente binary the Python results are compared with: ENTENTE_BIN, else the
    workspace's release or debug build."""
    for c in [os.environ.get("ENTENTE_BIN"), ROOT / "target/release/entente", ROOT / "target/debug/entente",
              shutil.which("entente")]:
        if c and Path(c).is_file():
            return Path(c)
    if _required():
        pytest.fail("the entente binary was not found: build it (cargo build) or set ENTENTE_BIN")
    pytest.skip("the entente binary was not found: build it (cargo build) or set ENTENTE_BIN")


@pytest.fixture(scope="session")
def run_cli(cli):
    def run(*args: str, stdin: bytes = b"") -> str:
        out = subprocess.run([str(cli), *args], input=stdin, capture_output=True, check=True)
        return out.stdout.decode("utf-8")

    return run


MODELS = ROOT / "models/test"
TINY_MODELS = sorted(p.name for p in MODELS.iterdir() if (p / "config.json").is_file())
