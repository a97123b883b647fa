#!/usr/bin/env python3
"""French–English literary gold for eval-align-heldout, from LIMSI's TransRead alignments.

fyvo/TransReadAlignments (CC BY-SA 4.0; texts from Project Gutenberg) holds hand sentence
alignments of the opening chapters of 12 English–French novels, in CES: `cut_NAME_en.xml` and
`cut_NAME_fr.xml` (sentences as `<s id>` of `<w>` tokens) and `NAME_sent_align_en-fr.xml`
(`<link xtargets="en ids;fr ids">`, many-to-many, insertions and deletions). This writes them
in the layout of SentAlign's `eval_data/` — `fra/NAME.txt`, `eng/NAME.txt` (one sentence a line,
tokens joined by spaces) and `gold/NAME.txt` (`[fr lines]:[en lines]`) — French as the source,
as entente aligns French with English. A link with one side empty is written one sentence at a
time (Vecalign's gold convention, as the Text+Berg gold has it). Nothing is copied into the
repository: fetch the repository, point this at its `dat/novels`, write outside the repo.

Usage: transread_sets.py NOVELS_DIR OUT_DIR
"""

import os
import re
import sys
import xml.etree.ElementTree as ET


def sentences(path):
    """The ids and texts of a CES document's sentences, in document order."""
    root = ET.parse(path).getroot()
    out = []
    for s in root.iter("s"):
        words = [w.text or "" for w in s.iter("w")]
        out.append((s.get("id"), " ".join(w for w in words if w)))
    return out


def links(path):
    root = ET.parse(path).getroot()
    for link in root.iter("link"):
        en, fr = link.get("xtargets").split(";")
        yield en.split(), fr.split()


def convert(folder, name, out):
    base = os.path.join(folder, name)
    stem = name[: -len("_EN-FR")]
    en = sentences(os.path.join(base, f"cut_{stem}_en.xml"))
    fr = sentences(os.path.join(base, f"cut_{stem}_fr.xml"))
    en_line = {sid: k for k, (sid, _) in enumerate(en)}
    fr_line = {sid: k for k, (sid, _) in enumerate(fr)}
    gold = []
    for en_ids, fr_ids in links(os.path.join(base, f"{stem}_sent_align_en-fr.xml")):
        e = [en_line[i] for i in en_ids]
        f = [fr_line[i] for i in fr_ids]
        if not e or not f:
            gold.extend(([x], []) for x in f)
            gold.extend(([], [x]) for x in e)
        else:
            gold.append((f, e))
    seen_f = sorted(x for f, _ in gold for x in f)
    seen_e = sorted(x for _, e in gold for x in e)
    # The gold must cover each sentence of the cut documents once.
    assert seen_f == list(range(len(fr))), (name, "fr", len(seen_f), len(fr))
    assert seen_e == list(range(len(en))), (name, "en", len(seen_e), len(en))
    for side, sents in (("fra", fr), ("eng", en)):
        os.makedirs(os.path.join(out, side), exist_ok=True)
        with open(os.path.join(out, side, stem + ".txt"), "w", encoding="utf-8") as fh:
            fh.writelines(re.sub(r"\s+", " ", t).strip() + "\n" for _, t in sents)
    os.makedirs(os.path.join(out, "gold"), exist_ok=True)
    with open(os.path.join(out, "gold", stem + ".txt"), "w", encoding="utf-8") as fh:
        for f, e in gold:
            fh.write(f"{f}:{e}\n")
    return len(fr), len(en), len(gold)


def main():
    folder, out = sys.argv[1], sys.argv[2]
    for name in sorted(os.listdir(folder)):
        if name.endswith("_EN-FR"):
            print(name, *convert(folder, name, out))


if __name__ == "__main__":
    main()
