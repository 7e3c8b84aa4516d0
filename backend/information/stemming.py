"""Search terms in both languages: each word with its Indonesian and its English stem.

Indexed text and queries go through the same `index_terms` / `query_terms`, so a word matches
any other word of the same stem: *pengaduan*, *mengadukan* and *aduan* all stand for *adu*;
*flooding*, *flooded* and *flood* for *flood*. The word itself is kept too, so an exact match
ranks higher. The database's own tokenisers know neither language's morphology.

Indonesian stems come from Sastrawi (Nazief and Adriani's algorithm with a dictionary of root
words, so *menulis* gives *tulis* and not *ulis*), English ones from Snowball's English
(Porter 2) stemmer through PyStemmer. A search entry holds both languages and a query's
language is not known, so every word gets both stems; a stem from the wrong language is almost
always the word itself, or the same on both sides.
"""

import re
import unicodedata
from functools import lru_cache

import Stemmer
from Sastrawi.Stemmer.StemmerFactory import StemmerFactory

_WORD = re.compile(r"[a-z0-9]+")
MAX_QUERY_WORDS = 12

_indonesian = StemmerFactory().create_stemmer()
_english = Stemmer.Stemmer("english")


def normalise(text: str) -> str:
    """Lower case without diacritics: "Pengumuman RÉSMI" -> "pengumuman resmi"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


@lru_cache(maxsize=65536)
def stems(word: str) -> frozenset[str]:
    """Every term `word` stands for: itself, its Indonesian root, its English stem."""
    found = {word, _english.stemWord(word)}
    # Sastrawi stems a whole text; a single [a-z0-9]+ word comes back as its root (or itself).
    found.update(_WORD.findall(_indonesian.stem(word)))
    return frozenset(term for term in found if term)


def index_terms(text: str) -> str:
    """The text as the database indexes it: each word followed by its stems."""
    return " ".join(" ".join(sorted(stems(word), key=len, reverse=True)) for word in words(text))


def query_terms(text: str) -> list[frozenset[str]]:
    """A query's words, each as the set of terms that may match it (at most 12 words)."""
    return [stems(word) for word in dict.fromkeys(words(text))][:MAX_QUERY_WORDS]
