"""Types of entente's Rust extension (see the ``entente`` and ``entente.metrics`` modules)."""

from typing import Any, Dict, List, Optional, Sequence, Union, overload

__version__: str

class EntenteError(Exception):
    """An error of the entente library; the message says what failed and what to do."""

class Sentence:
    """A sentence of a text; ``text[s.start:s.end] == s.text`` (offsets in characters)."""
    text: str
    start: int
    end: int
    para: int
    sent: int

def segment(text: str, *, join_lines: bool = False) -> List[Sentence]:
    """The sentences of ``text`` (paragraphs at blank lines, and at line breaks unless ``join_lines``)."""

def extract(page: Union[str, bytes], *, url: Optional[str] = None, source: str = "<string>") -> Dict[str, Any]:
    """The article of a page (HTML) or scraped text, as ``entente extract`` writes it."""

class Translation:
    """A translated sentence: ``text``, the generated ``ids`` (EOS included) and their ``logprob``."""
    text: str
    ids: List[int]
    logprob: float

class Translator:
    """An opus-mt model: a directory, a registry name or a Hub id (default Helsinki-NLP/opus-mt-fr-en)."""
    def __init__(
        self,
        model: Optional[str] = None,
        *,
        device: str = "cpu",
        dtype: str = "f32",
        revision: Optional[str] = None,
        batch_size: int = 16,
        threads: Optional[int] = None,
        memory_budget: Union[int, str, None] = None,
    ) -> None: ...
    @overload
    def translate(
        self,
        sources: str,
        *,
        beams: Optional[int] = None,
        max_new_tokens: Optional[int] = None,
        min_new_tokens: Optional[int] = None,
        length_penalty: Optional[float] = None,
        no_repeat_ngram_size: Optional[int] = None,
        repetition_penalty: Optional[float] = None,
    ) -> Translation: ...
    @overload
    def translate(
        self,
        sources: Sequence[str],
        *,
        beams: Optional[int] = None,
        max_new_tokens: Optional[int] = None,
        min_new_tokens: Optional[int] = None,
        length_penalty: Optional[float] = None,
        no_repeat_ngram_size: Optional[int] = None,
        repetition_penalty: Optional[float] = None,
    ) -> List[Translation]: ...
    @property
    def model(self) -> str: ...
    @property
    def threads(self) -> int: ...
    @property
    def memory_budget(self) -> int: ...
    @property
    def settings(self) -> Dict[str, Any]: ...
    @property
    def stats(self) -> Dict[str, int]: ...
    @property
    def device(self) -> str: ...
    @property
    def dtype(self) -> str: ...
    @property
    def defaults(self) -> Dict[str, Union[int, float]]: ...

class Pair:
    """A link of an alignment: sentence indices, joined texts, probability and quality flags."""
    src_ids: List[int]
    tgt_ids: List[int]
    src: str
    tgt: str
    score: float
    flags: List[str]

def align(
    fr: Union[str, Sequence[str]],
    en: Union[str, Sequence[str]],
    translation: Optional[Union[str, Sequence[str]]] = None,
    mt: Optional[Translator] = None,
    *,
    min_score: float = 0.5,
    lexicon: Union[None, bool, str, Sequence[str]] = None,
    realign: Optional[bool] = None,
) -> List[Pair]:
    """Parallel sentence pairs of a French text and its English version."""

class Signature:
    def format(self, short: bool = False) -> str: ...
    @property
    def info(self) -> Dict[str, str]: ...

class _Score:
    name: str
    score: float
    _mean: float
    _ci: float
    def format(self, width: int = 2, score_only: bool = False, signature: str = "", is_json: bool = False) -> str: ...

class BLEUScore(_Score):
    counts: List[int]
    totals: List[int]
    precisions: List[float]
    bp: float
    sys_len: int
    ref_len: int
    @property
    def prec_str(self) -> str: ...
    @property
    def ratio(self) -> float: ...

class CHRFScore(_Score):
    char_order: int
    word_order: int
    beta: int

class TERScore(_Score):
    num_edits: int
    ref_length: float

_Refs = Sequence[Sequence[Optional[str]]]

class BLEU:
    def __init__(
        self,
        lowercase: bool = False,
        force: bool = False,
        tokenize: Optional[str] = None,
        smooth_method: str = "exp",
        smooth_value: Optional[float] = None,
        max_ngram_order: int = 4,
        effective_order: bool = False,
        trg_lang: str = "",
        references: Optional[_Refs] = None,
    ) -> None: ...
    def corpus_score(self, hypotheses: Sequence[str], references: Optional[_Refs] = None, n_bootstrap: int = 1) -> BLEUScore: ...
    def sentence_score(self, hypothesis: str, references: Sequence[Optional[str]]) -> BLEUScore: ...
    def get_signature(self) -> Signature: ...

class CHRF:
    def __init__(
        self,
        char_order: int = 6,
        word_order: int = 0,
        beta: int = 2,
        lowercase: bool = False,
        whitespace: bool = False,
        eps_smoothing: bool = False,
        references: Optional[_Refs] = None,
    ) -> None: ...
    def corpus_score(self, hypotheses: Sequence[str], references: Optional[_Refs] = None, n_bootstrap: int = 1) -> CHRFScore: ...
    def sentence_score(self, hypothesis: str, references: Sequence[Optional[str]]) -> CHRFScore: ...
    def get_signature(self) -> Signature: ...

class TER:
    def __init__(
        self,
        normalized: bool = False,
        no_punct: bool = False,
        asian_support: bool = False,
        case_sensitive: bool = False,
        references: Optional[_Refs] = None,
    ) -> None: ...
    def corpus_score(self, hypotheses: Sequence[str], references: Optional[_Refs] = None, n_bootstrap: int = 1) -> TERScore: ...
    def sentence_score(self, hypothesis: str, references: Sequence[Optional[str]]) -> TERScore: ...
    def get_signature(self) -> Signature: ...
def _clear_reference_cache() -> None: ...
