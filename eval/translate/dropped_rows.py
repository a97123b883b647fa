"""What greedy search's dropping of finished rows saves, estimated on newstest2014 fr-en.

Search drops a batch's finished rows once they are half its decoding state or more (the host
decoder and the plan engine; src/generate/greedy.rs). How much decoder work that saves depends
on how unequal the output lengths of a batch are. Without the real weights at hand (no Hub
here), the reference translations' lengths in opus-mt's target tokens stand in for the model's
outputs; batches are made as the batcher makes them (sorted by source tokens). Prints the share
of row-steps computed with dropping against computing every row to the batch's longest output.

    python eval/translate/dropped_rows.py [../shared]      # needs sentencepiece
"""

import sys

import sentencepiece as spm

shared = sys.argv[1] if len(sys.argv) > 1 else "../shared"
models = f"{shared}/models/opus-mt-fr-en"
data = f"{shared}/eval/mt/newstest2014-fr-en/newstest2014.fr-en"
source = spm.SentencePieceProcessor(model_file=f"{models}/source.spm")
target = spm.SentencePieceProcessor(model_file=f"{models}/target.spm")
french = open(f"{data}.fr", encoding="utf-8").read().splitlines()
english = open(f"{data}.en", encoding="utf-8").read().splitlines()
# (source tokens, output steps): </s> counted on both sides.
lengths = sorted(
    (len(source.encode(f)) + 1, len(target.encode(e)) + 1) for f, e in zip(french, english)
)
for batch in (16, 64, 256):
    every_row = with_dropping = 0
    for start in range(0, len(lengths), batch):
        outputs = [steps for _, steps in lengths[start : start + batch]]
        longest = max(outputs)
        every_row += longest * len(outputs)
        rows = len(outputs)
        for step in range(1, longest + 1):
            with_dropping += rows
            live = sum(1 for steps in outputs if steps > step)
            if live and 2 * live <= rows:
                rows = live
    print(
        f"batch {batch}: {with_dropping} of {every_row} row-steps "
        f"({with_dropping / every_row:.3f}) with finished rows dropped, "
        f"{len(lengths)} sentences, reference lengths"
    )
