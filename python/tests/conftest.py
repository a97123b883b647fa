"""Shared fixtures: the reference data and the entente binary.

The reference data is found exactly as the Rust suite finds it (src/testdata.rs):
ENTENTE_TEST_DATA, else ../shared beside the checkout, else the cache scripts/fetch-test-data
fills ($XDG_CACHE_HOME/entente/test-data, or ~/.cache/entente/test-data). A test that needs data
the repository cannot ship is skipped when the data is missing, unless ENTENTE_REQUIRE_TEST_DATA
is set to anything but "" or "0" (CI), which makes it fail instead.
"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _required() -> bool:
    """src/testdata.rs's `required`: set, and neither empty nor "0"."""
    return os.environ.get("ENTENTE_REQUIRE_TEST_DATA", "") not in ("", "0")


def _roots() -> list:
    """src/testdata.rs's `roots`, in the same order."""
    roots = []
    if os.environ.get("ENTENTE_TEST_DATA"):
        roots.append(Path(os.environ["ENTENTE_TEST_DATA"]))
    roots.append(ROOT.parent / "shared")
    cache = os.environ.get("XDG_CACHE_HOME") or (
        str(Path(os.environ["HOME"]) / ".cache") if os.environ.get("HOME") else ".cache")
    roots.append(Path(cache) / "entente" / "test-data")
    return roots


@pytest.fixture(scope="session")
def shared() -> Path:
    """The reference data folder: the first root holding the data folders the tests read."""
    for root in _roots():
        if (root / "eval").is_dir():
            return root
    searched = ", ".join(str(r) for r in _roots())
    message = (f"reference data not found (searched {searched}); set ENTENTE_TEST_DATA, put the shared "
               "data folder beside the checkout, or run scripts/fetch-test-data")
    if _required():
        pytest.fail(message + " (ENTENTE_REQUIRE_TEST_DATA is set)")
    pytest.skip(message)


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
