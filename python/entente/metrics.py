"""sacreBLEU's metric API, computed by entente's Rust library.

``import entente.metrics as sacrebleu`` is a drop-in for ``import sacrebleu`` where scoring is
concerned: ``BLEU``, ``CHRF`` and ``TER`` take sacreBLEU's constructor arguments, their
``corpus_score`` / ``sentence_score`` give score objects with sacreBLEU's fields that print as
sacreBLEU's do, and ``get_signature()`` gives the same signature (its version names entente).
The shortcuts below are sacreBLEU's ``compat`` functions, with the same arguments.

Not provided: the MeCab (ja, ko), SentencePiece (spm, flores) tokenizers and TER's
``asian_support``, which raise ``NotImplementedError``/``ValueError``; test-set downloads.
Where sacreBLEU silently scores the shorter of hypotheses and references, entente raises
``ValueError``.
"""

from typing import Optional, Sequence

from ._entente import BLEU, BLEUScore, CHRF, CHRFScore, Signature, TER, TERScore
from ._entente import _clear_reference_cache  # noqa: F401  (benchmarks time the first call)

__all__ = [
    "BLEU",
    "BLEUScore",
    "CHRF",
    "CHRFScore",
    "Signature",
    "TER",
    "TERScore",
    "corpus_bleu",
    "corpus_chrf",
    "corpus_ter",
    "raw_corpus_bleu",
    "sentence_bleu",
    "sentence_chrf",
    "sentence_ter",
]


def corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    smooth_method: str = "exp",
    smooth_value: Optional[float] = None,
    force: bool = False,
    lowercase: bool = False,
    tokenize: str = "13a",
    use_effective_order: bool = False,
) -> BLEUScore:
    """BLEU of a corpus against one or more reference streams (sacreBLEU's ``corpus_bleu``)."""
    metric = BLEU(
        lowercase=lowercase,
        force=force,
        tokenize=tokenize,
        smooth_method=smooth_method,
        smooth_value=smooth_value,
        effective_order=use_effective_order,
    )
    return metric.corpus_score(hypotheses, references)


def raw_corpus_bleu(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    smooth_value: Optional[float] = 0.1,
) -> BLEUScore:
    """BLEU without tokenization, floor smoothing (sacreBLEU's ``raw_corpus_bleu``)."""
    return corpus_bleu(
        hypotheses,
        references,
        smooth_method="floor",
        smooth_value=smooth_value,
        force=True,
        tokenize="none",
        use_effective_order=True,
    )


def sentence_bleu(
    hypothesis: str,
    references: Sequence[str],
    smooth_method: str = "exp",
    smooth_value: Optional[float] = None,
    lowercase: bool = False,
    tokenize: str = "13a",
    use_effective_order: bool = True,
) -> BLEUScore:
    """BLEU of one sentence against its references (sacreBLEU's ``sentence_bleu``)."""
    metric = BLEU(
        lowercase=lowercase,
        tokenize=tokenize,
        force=False,
        smooth_method=smooth_method,
        smooth_value=smooth_value,
        effective_order=use_effective_order,
    )
    return metric.sentence_score(hypothesis, references)


def corpus_chrf(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    char_order: int = 6,
    word_order: int = 0,
    beta: int = 2,
    remove_whitespace: bool = True,
    eps_smoothing: bool = False,
) -> CHRFScore:
    """chrF (chrF++ with ``word_order=2``) of a corpus (sacreBLEU's ``corpus_chrf``)."""
    metric = CHRF(
        char_order=char_order,
        word_order=word_order,
        beta=beta,
        whitespace=not remove_whitespace,
        eps_smoothing=eps_smoothing,
    )
    return metric.corpus_score(hypotheses, references)


def sentence_chrf(
    hypothesis: str,
    references: Sequence[str],
    char_order: int = 6,
    word_order: int = 0,
    beta: int = 2,
    remove_whitespace: bool = True,
    eps_smoothing: bool = False,
) -> CHRFScore:
    """chrF of one sentence against its references (sacreBLEU's ``sentence_chrf``)."""
    metric = CHRF(
        char_order=char_order,
        word_order=word_order,
        beta=beta,
        whitespace=not remove_whitespace,
        eps_smoothing=eps_smoothing,
    )
    return metric.sentence_score(hypothesis, references)


def corpus_ter(
    hypotheses: Sequence[str],
    references: Sequence[Sequence[str]],
    normalized: bool = False,
    no_punct: bool = False,
    asian_support: bool = False,
    case_sensitive: bool = False,
) -> TERScore:
    """TER of a corpus (sacreBLEU's ``corpus_ter``)."""
    metric = TER(
        normalized=normalized,
        no_punct=no_punct,
        asian_support=asian_support,
        case_sensitive=case_sensitive,
    )
    return metric.corpus_score(hypotheses, references)


def sentence_ter(
    hypothesis: str,
    references: Sequence[str],
    normalized: bool = False,
    no_punct: bool = False,
    asian_support: bool = False,
    case_sensitive: bool = False,
) -> TERScore:
    """TER of one sentence against its references (sacreBLEU's ``sentence_ter``)."""
    metric = TER(
        normalized=normalized,
        no_punct=no_punct,
        asian_support=asian_support,
        case_sensitive=case_sensitive,
    )
    return metric.sentence_score(hypothesis, references)
