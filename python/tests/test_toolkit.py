"""The toolkit from Python equals the CLI on the same input: segmentation, translation (ids
also equal to transformers' fixtures on the tiny checkpoints), alignment and extraction; the
GIL is released, Ctrl-C interrupts, errors raise."""

import _thread
import json
import os
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

import entente
from conftest import MODELS, ROOT, TINY_MODELS

SAMPLE = "000_5241068be115698e.txt"


def test_segment_equals_the_cli_with_character_offsets(run_cli):
    text = (ROOT / "corpora" / SAMPLE).read_text(encoding="utf-8")
    # Non-ASCII before the offsets, a blank-line paragraph and a line break inside one.
    text = "Él a dit « oui ».\nPuis il est parti.\n\n" + text
    cli = [json.loads(l) for l in run_cli("segment", "--format", "jsonl", stdin=text.encode()).splitlines()]
    py = entente.segment(text)
    assert len(py) == len(cli) > 20
    encoded = text.encode("utf-8")
    for s, c in zip(py, cli):
        assert (s.text, s.para, s.sent) == (c["text"], c["para"], c["sent"])
        # The CLI gives byte offsets; Python gives character offsets into the str.
        assert s.start == len(encoded[: c["start"]].decode("utf-8"))
        assert s.end == len(encoded[: c["end"]].decode("utf-8"))
        assert text[s.start : s.end] == s.text


def test_segment_join_lines_equals_the_cli(run_cli):
    text = "Une phrase coupée\nen deux lignes. Une autre.\n\nFin."
    cli = [json.loads(l)["text"] for l in run_cli("segment", "--join-lines", "--format", "jsonl", stdin=text.encode()).splitlines()]
    assert [s.text for s in entente.segment(text, join_lines=True)] == cli


def model_dir(name: str, shared_root, stack) -> str:
    """The tiny checkpoint `name` with its tokenizer files (the real opus-mt ones from the
    reference data, except for the self-contained model)."""
    meta = json.loads((ROOT / "tests/fixtures/translate" / f"{name}.jsonl").read_text().splitlines()[0])
    tokenizer = meta["spec"]["tokenizer"]
    if tokenizer == name:
        return str(MODELS / name)
    d = Path(stack.enter_context(tempfile.TemporaryDirectory()))
    for f in ["config.json", "generation_config.json", "model.safetensors"]:
        os.symlink(MODELS / name / f, d / f)
    for f in ["source.spm", "target.spm", "vocab.json", "tokenizer_config.json"]:
        os.symlink(shared_root / "models" / tokenizer / f, d / f)
    return str(d)


@pytest.mark.parametrize("name", TINY_MODELS)
@pytest.mark.parametrize("beams", [1, 4])
def test_translator_ids_equal_the_cli_and_transformers(name, beams, shared, run_cli):
    from contextlib import ExitStack

    records = [json.loads(l) for l in (ROOT / "tests/fixtures/translate" / f"{name}.jsonl").read_text().splitlines()]
    max_new = records[0]["max_new_tokens"]
    expected = [r for r in records if r["mode"] == "single" and r["beams"] == beams and r["src"].strip()]
    sources = [r["src"] for r in expected]
    with ExitStack() as stack:
        model = model_dir(name, shared, stack)
        translator = entente.Translator(model, batch_size=4)
        got = translator.translate(sources, beams=beams, max_new_tokens=max_new)
        cli = [json.loads(l) for l in run_cli(
            "translate", "--model", model, "--beams", str(beams), "--max-new-tokens", str(max_new),
            "--format", "jsonl", stdin="\n".join(sources).encode()).splitlines()]
    assert len(got) == len(cli) == len(expected) > 0
    for g, c, e in zip(got, cli, expected):
        assert g.ids == c["ids"] == e["ids"], g.text
        assert g.text == c["text"] == e["text"]
        assert abs(g.logprob - c["logprob"]) < 1e-4
        # As tests/translate_parity.rs: float32 rounding grows with long, confident sums.
        assert abs(g.logprob - e["logprob"]) <= max(1e-4, 5e-6 * abs(e["logprob"]))


def selfcontained() -> str:
    return str(MODELS / "tiny-selfcontained")


def test_translate_one_string_blank_lines_and_options():
    t = entente.Translator(selfcontained())
    one = t.translate("Le chat dort.", beams=1, max_new_tokens=5)
    assert isinstance(one, entente.Translation) and 0 < len(one.ids) <= 5
    empty = t.translate(["", "  "])
    assert [(e.text, e.ids, e.logprob) for e in empty] == [("", [], 0.0), ("", [], 0.0)]
    with pytest.raises(ValueError, match="beams"):
        t.translate(["x"], beams=0)
    with pytest.raises(ValueError, match="length_penalty"):
        t.translate(["x"], length_penalty=float("nan"))
    with pytest.raises(TypeError):
        t.translate([1, 2])
    assert t.defaults["beams"] == 4 and t.model == selfcontained() and t.dtype == "f32"


def test_a_bad_model_raises_and_the_interpreter_lives(tmp_path):
    with pytest.raises(entente.EntenteError, match=str(tmp_path / "nope")):
        entente.Translator(str(tmp_path / "nope"))
    (tmp_path / "config.json").write_text("{not json")
    with pytest.raises(entente.EntenteError):
        entente.Translator(str(tmp_path))
    with pytest.raises(ValueError, match="int8 runs on the CPU|unknown device"):
        entente.Translator(selfcontained(), device="tpu")
    with pytest.raises(ValueError, match="for GPUs"):
        entente.Translator(selfcontained(), dtype="f16")


def test_int8_translates():
    t = entente.Translator(selfcontained(), dtype="int8")
    assert len(t.translate(["Le chat dort."], beams=1, max_new_tokens=4)[0].ids) > 0


def test_threads_share_the_engine_and_get_their_own_answers():
    t = entente.Translator(selfcontained(), batch_size=8)
    sources = [f"Phrase numéro {i} de l'article." for i in range(24)]
    alone = t.translate(sources, beams=1, max_new_tokens=8)
    results = {}

    def work(k):
        results[k] = t.translate(sources[k::3], beams=1, max_new_tokens=8)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for k in range(3):
        assert [r.ids for r in results[k]] == [a.ids for a in alone[k::3]]


def test_the_gil_is_released_while_translating():
    t = entente.Translator(selfcontained(), threads=1)
    sources = [f"Le président a parlé longuement de la situation économique du pays {i}." for i in range(256)]
    during = []
    in_call = threading.Event()
    stop = threading.Event()

    def count():
        while not stop.is_set():
            if in_call.is_set():
                during.append(1)
            time.sleep(0.001)

    th = threading.Thread(target=count)
    th.start()
    in_call.set()
    t.translate(sources, beams=4, max_new_tokens=128)
    in_call.clear()
    stop.set()
    th.join()
    # With the GIL held through the call, the counting thread could tick at most once while the
    # call runs (at its very start); released, it ticks all along (no clock is read).
    assert len(during) >= 20, len(during)


def test_ctrl_c_interrupts_a_long_translation_and_the_translator_goes_on():
    t = entente.Translator(selfcontained(), threads=1, batch_size=1)
    # A queue far longer than any wait for Ctrl-C could cover; many short sentences, each
    # answered well within the binding's tenth of a second between signal checks: the check
    # must still come every tenth, not only after the last sentence.
    total = 20_000
    sources = ["Le président a parlé longuement de la situation économique du pays."] * total
    posted = {}

    def press_ctrl_c_once_work_is_under_way():
        # Events, not time: the interrupt is posted once the engine has translated sentences
        # of this call.
        while t.stats["sentences_translated"] < 8:
            time.sleep(0.001)
        posted["translated"] = t.stats["sentences_translated"]
        _thread.interrupt_main()

    # Python's own Ctrl-C handler, whatever the runner left: a process started in the background
    # by a non-interactive shell ignores SIGINT, and `interrupt_main` then does nothing.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        presser = threading.Thread(target=press_ctrl_c_once_work_is_under_way)
        presser.start()
        with pytest.raises(KeyboardInterrupt):
            t.translate(sources, beams=4, max_new_tokens=8)
        presser.join()
    finally:
        signal.signal(signal.SIGINT, previous)
    # The next call waits for nothing but itself; by its end the engine has seen every queued
    # sentence of the interrupted call (one queue, in order).
    assert len(t.translate(["Bonjour."], beams=1, max_new_tokens=4)) == 1
    stats = t.stats
    # Interrupted while the queue was still long: most sentences were dropped, not translated
    # (a check only after the last sentence would have translated all of them).
    assert stats["sentences_translated"] >= posted["translated"] >= 8, (stats, posted)
    assert stats["sentences_dropped"] > total // 2, stats
    assert stats["sentences_translated"] + stats["sentences_dropped"] == total + 1, stats


def align_inputs(shared):
    de = (shared / "eval/align/bleualign-dev/dev.de").read_text(encoding="utf-8").splitlines()[:60]
    fr = (shared / "eval/align/bleualign-dev/dev.fr").read_text(encoding="utf-8").splitlines()[:70]
    mt = (shared / "eval/align/bleualign-dev/dev.google.fr").read_text(encoding="utf-8").splitlines()[:60]
    return de, fr, mt


@pytest.mark.parametrize("with_mt", [False, True])
def test_align_equals_the_cli(shared, run_cli, tmp_path, with_mt):
    de, fr, mt = align_inputs(shared)
    (tmp_path / "a").write_text("\n".join(de) + "\n", encoding="utf-8")
    (tmp_path / "b").write_text("\n".join(fr) + "\n", encoding="utf-8")
    (tmp_path / "mt").write_text("\n".join(mt) + "\n", encoding="utf-8")
    args = ["align", "--presegmented", str(tmp_path / "a"), str(tmp_path / "b"), "--format", "jsonl"]
    args += ["--translation", str(tmp_path / "mt")] if with_mt else ["--no-mt"]
    cli = [json.loads(l) for l in run_cli(*args).splitlines()]
    py = entente.align(de, fr, translation=mt if with_mt else None)
    assert len(py) == len(cli) > 40
    for p, c in zip(py, cli):
        assert (p.src_ids, p.tgt_ids, p.src, p.tgt) == (c["src_ids"], c["tgt_ids"], c["src"], c["tgt"])
        assert p.score == pytest.approx(c["score"], abs=1e-12)
        assert ("unaligned" in p.flags) == (not p.src_ids or not p.tgt_ids)


def test_align_with_a_lexicon_equals_the_cli_and_the_lexicon_decides(run_cli, tmp_path):
    fr = ["Le chien mange la viande rouge.", "Le roi habite un grand château.",
          "La femme lit un livre bleu."]
    en = ["The king lives in a big castle.", "The woman reads a blue book."]
    words = {"chien": "dog", "mange": "eats", "viande": "meat", "rouge": "red", "roi": "king",
             "habite": "lives", "grand": "big", "château": "castle", "femme": "woman",
             "lit": "reads", "livre": "book", "bleu": "blue"}
    lexicon = tmp_path / "fr-en.tsv"
    lexicon.write_text("".join(f"{a}\t{b}\n" for a, b in words.items()), encoding="utf-8")
    (tmp_path / "a").write_text("\n".join(fr) + "\n", encoding="utf-8")
    (tmp_path / "b").write_text("\n".join(en) + "\n", encoding="utf-8")
    args = ["align", "--presegmented", str(tmp_path / "a"), str(tmp_path / "b"), "--no-mt",
            "--format", "jsonl", "--min-score", "0"]
    cli = [json.loads(l) for l in run_cli(*args, "--lexicon", str(lexicon)).splitlines()]
    py = entente.align(fr, en, lexicon=str(lexicon), min_score=0)
    assert [(p.src_ids, p.tgt_ids) for p in py] == [(c["src_ids"], c["tgt_ids"]) for c in cli]
    assert [(p.src_ids, p.tgt_ids) for p in py] == [([0], []), ([1], [0]), ([2], [1])]
    # Several dictionaries read as one: the same file twice adds nothing.
    twice = entente.align(fr, en, lexicon=[str(lexicon), str(lexicon)], min_score=0)
    assert [(p.src_ids, p.tgt_ids, p.score) for p in twice] == [
        (p.src_ids, p.tgt_ids, p.score) for p in py]
    plain = entente.align(fr, en, lexicon=False, min_score=0)
    cli_plain = [json.loads(l) for l in run_cli(*args, "--no-lexicon").splitlines()]
    assert [(p.src_ids, p.tgt_ids) for p in plain] == [(c["src_ids"], c["tgt_ids"]) for c in cli_plain]
    with pytest.raises(ValueError, match="nowhere.tsv"):
        entente.align(fr, en, lexicon=str(tmp_path / "nowhere.tsv"))


def test_align_texts_with_a_translator_as_mt_equals_the_cli(run_cli, tmp_path):
    fr = "Le chat dort sur le tapis. Le chien aboie dans la cour. Il pleut depuis trois jours."
    en = "The cat sleeps on the mat. The dog barks in the yard. It has rained for three days."
    (tmp_path / "fr").write_text(fr, encoding="utf-8")
    (tmp_path / "en").write_text(en, encoding="utf-8")
    cli = [json.loads(l) for l in run_cli(
        "align", str(tmp_path / "fr"), str(tmp_path / "en"), "--model", selfcontained(),
        "--min-score", "0", "--format", "jsonl").splitlines()]
    t = entente.Translator(selfcontained())
    pairs = entente.align(fr, en, mt=t, min_score=0.0)
    assert [(p.src_ids, p.tgt_ids, p.src, p.tgt) for p in pairs] == [
        (c["src_ids"], c["tgt_ids"], c["src"], c["tgt"]) for c in cli]
    assert [p.score for p in pairs] == pytest.approx([c["score"] for c in cli], abs=1e-12)
    with pytest.raises(ValueError, match="line-aligned"):
        entente.align(fr, en, translation=["one line"])
    with pytest.raises(ValueError, match="not both"):
        entente.align(fr, en, translation=["a", "b", "c"], mt=t)
    with pytest.raises(ValueError, match="probability"):
        entente.align(fr, en, min_score=2.0)


def test_extract_equals_the_cli_on_a_page_and_on_scraped_text(shared, run_cli):
    page = sorted((shared / "eval/web").rglob("*.html"))[0]
    cli = json.loads(run_cli("extract", str(page), "--format", "json"))
    py = entente.extract(page.read_bytes(), source=str(page))
    assert py == cli
    text_path = ROOT / "corpora" / SAMPLE
    cli_text = json.loads(run_cli("extract", str(text_path), "--format", "json"))
    py_text = entente.extract(text_path.read_text(encoding="utf-8"), source=str(text_path))
    assert py_text == cli_text
    kinds = {b["kind"] for b in py_text["blocks"]}
    assert {"teaser", "credit", "tags", "dateline"} <= kinds


def test_extract_with_no_article_raises():
    with pytest.raises(entente.EntenteError, match="no article"):
        entente.extract("<html><body><nav><a href='/'>Accueil</a></nav></body></html>")
    with pytest.raises(TypeError):
        entente.extract(42)


def test_threads_and_memory_budget_are_settings_said_back(monkeypatch):
    import ctypes

    monkeypatch.delenv("ENTENTE_THREADS", raising=False)
    monkeypatch.delenv("ENTENTE_MEMORY_BUDGET", raising=False)
    libc = ctypes.CDLL(None)
    libc.getenv.restype = ctypes.c_char_p
    before = libc.getenv(b"RAYON_NUM_THREADS")
    t = entente.Translator(selfcontained(), threads=3, memory_budget="1G")
    # The process environment is left alone (it once set RAYON_NUM_THREADS for every library).
    assert libc.getenv(b"RAYON_NUM_THREADS") == before
    assert (t.threads, t.memory_budget) == (3, 1 << 30)
    s = t.settings
    assert (s["threads_from"], s["memory_budget_from"]) == ("threads=", "memory_budget=")
    assert s["batch_size"] == 16 and s["batch"] == "batch 16"
    # More threads than cores give the same translations as one.
    one = entente.Translator(selfcontained(), threads=1, memory_budget=1 << 30)
    sources = ["Le chat dort.", "Bonjour.", "Il pleut sur la ville depuis ce matin."] * 5
    assert [r.ids for r in t.translate(sources, beams=1)] == [r.ids for r in one.translate(sources, beams=1)]
    # The environment is the default the keywords override.
    monkeypatch.setenv("ENTENTE_THREADS", "5")
    assert entente.Translator(selfcontained()).settings["threads_from"] == "ENTENTE_THREADS"
    assert entente.Translator(selfcontained(), threads=2).threads == 2


def test_threads_and_memory_budget_that_cannot_work_raise():
    with pytest.raises(ValueError, match="at least 1"):
        entente.Translator(selfcontained(), threads=0)
    with pytest.raises(ValueError, match="more than 0 bytes"):
        entente.Translator(selfcontained(), memory_budget=0)
    with pytest.raises(ValueError, match="not a size"):
        entente.Translator(selfcontained(), memory_budget="lots")
    with pytest.raises(entente.EntenteError, match="for one sentence"):
        entente.Translator(selfcontained(), memory_budget="1K")


def test_translate_file_equals_the_cli_and_bad_files_raise(run_cli, tmp_path):
    t = entente.Translator(selfcontained())
    documents = Path(__file__).resolve().parents[2] / "tests/fixtures/documents"
    for name in ["sample.docx", "sample.odt", "sample.epub"]:
        source = documents / name
        ours = tmp_path / ("py-" + name)
        report = t.translate_file(source, ours, beams=2, max_new_tokens=8)
        assert report["output"] == str(ours) and report["sentences"] > 0
        assert report["aligned"] + report["fallback"] > 0
        theirs = tmp_path / ("cli-" + name)
        run_cli("translate", "--model", selfcontained(), "--beams", "2", "--max-new-tokens", "8",
                str(source), "-o", str(theirs))
        assert ours.read_bytes() == theirs.read_bytes(), name
    # The default output sits beside the input.
    copy = tmp_path / "rapport.odt"
    copy.write_bytes((documents / "sample.odt").read_bytes())
    assert t.translate_file(copy, max_new_tokens=4)["output"] == str(tmp_path / "rapport.en.odt")
    assert (tmp_path / "rapport.en.odt").is_file()
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"not a zip")
    with pytest.raises(entente.EntenteError, match="bad.docx"):
        t.translate_file(bad, tmp_path / "never.docx")
    assert not (tmp_path / "never.docx").exists()
    with pytest.raises(ValueError, match="format"):
        t.translate_file(tmp_path / "notes.bin")
