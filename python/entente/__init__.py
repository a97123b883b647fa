"""entente: French→English machine translation and bilingual sentence alignment.

The Python face of entente's Rust library (the same code as the ``entente`` command):

- ``entente.metrics``: sacreBLEU's API (``BLEU``, ``CHRF``, ``TER``, ``corpus_bleu`` …) with
  identical numbers and strings, many times faster;
- ``segment(text)``: sentences with their offsets;
- ``Translator(model)``: opus-mt Marian models, token for token as transformers' ``generate``;
- ``align(fr, en)``: parallel sentence pairs with probabilities and quality flags;
- ``extract(page)``: a web page's (or scraped text's) article, every block typed.

Long calls release the GIL; errors of the library raise ``EntenteError``.
"""

from ._entente import (
    EntenteError,
    Pair,
    Sentence,
    Translation,
    Translator,
    __version__,
    align,
    extract,
    segment,
)
from . import metrics

__all__ = [
    "EntenteError",
    "Pair",
    "Sentence",
    "Translation",
    "Translator",
    "__version__",
    "align",
    "extract",
    "metrics",
    "segment",
]
