"""LibreTranslate compatibility, checked with the real client: `libretranslatepy` (PyPI), as
LibreTranslate users call it — languages(), detect(), translate() with "fr" and "auto", an
unsupported pair refused — against `entente serve` on a loopback port. Each translation equals
`entente translate --input article` on the same text. CI installs the client; elsewhere the
test is skipped without it (unless ENTENTE_REQUIRE_TEST_DATA is set)."""

import os
import subprocess
import urllib.error

import pytest

from conftest import MODELS, ROOT

if os.environ.get("ENTENTE_REQUIRE_TEST_DATA", "") in ("", "0"):
    libretranslatepy = pytest.importorskip("libretranslatepy")
else:
    import libretranslatepy

SEARCH = ["--beams", "2", "--max-new-tokens", "16"]
MODEL = str(MODELS / "tiny-selfcontained")


def start(cli, *extra):
    proc = subprocess.Popen([str(cli), "serve", "--model", MODEL, "--port", "0", *SEARCH, *extra],
                            stderr=subprocess.PIPE, text=True)
    url = None
    for line in proc.stderr:
        if "http://" in line:
            url = line[line.index("http://"):].split()[0] + "/"
            break
    assert url, "the server did not start"
    return proc, url


@pytest.fixture()
def server(cli):
    proc, url = start(cli)
    yield url
    proc.terminate()
    assert proc.wait(timeout=30) == 0, "the server stops cleanly on SIGTERM"


def test_the_libretranslate_client_talks_to_entente_serve(server, run_cli):
    article = (ROOT / "corpora/000_5241068be115698e.txt").read_text(encoding="utf-8")
    article = "\n".join(article.splitlines()[:9]).strip()
    lt = libretranslatepy.LibreTranslateAPI(server)
    languages = lt.languages()
    assert any(l["code"] == "fr" and "en" in l["targets"] for l in languages), languages
    assert lt.detect("Le président russe et le président chinois étaient en désaccord.")[0]["language"] == "fr"
    assert lt.detect("The Russian president and the Chinese president disagreed.")[0]["language"] == "en"
    expected = run_cli("translate", "--model", MODEL, "--input", "article", *SEARCH, stdin=article.encode())
    assert lt.translate(article, "fr", "en") + "\n" == expected
    assert lt.translate(article, "auto", "en") + "\n" == expected
    with pytest.raises(urllib.error.HTTPError) as refused:
        lt.translate("Bonjour.", "fr", "de")
    assert refused.value.code == 400


def test_the_client_s_api_key_is_checked(cli, run_cli, tmp_path):
    keys = tmp_path / "keys"
    keys.write_text("newsroom-key\n")
    proc, url = start(cli, "--api-keys", str(keys))
    try:
        got = libretranslatepy.LibreTranslateAPI(url, api_key="newsroom-key").translate("Le chat dort.", "fr", "en")
        assert got + "\n" == run_cli("translate", "--model", MODEL, "--input", "article", *SEARCH,
                                     stdin="Le chat dort.".encode())
        with pytest.raises(urllib.error.HTTPError) as refused:
            libretranslatepy.LibreTranslateAPI(url, api_key="wrong").translate("Le chat dort.", "fr", "en")
        assert refused.value.code == 403
    finally:
        proc.terminate()
        proc.wait(timeout=30)
