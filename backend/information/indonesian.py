"""A small Indonesian stemmer for full-text search, applied alike to indexed text and queries.

Indonesian builds words from a root with prefixes and suffixes: *aduan*, *pengaduan*,
*mengadukan* and *diadukan* all come from *adu*. The database's own tokenisers know nothing of
this, so before text reaches SQLite FTS5 or PostgreSQL every word is replaced by its *terms*:
the word itself (an exact match ranks higher) and its stems.

The rules follow Nazief and Adriani's order (particle, possessive pronoun, derivational suffix,
then up to two prefixes) without their dictionary. Where a prefix's sound change is ambiguous
(*menulis* from *tulis*, *mengambil* from *ambil*), every reading is kept: *mengirim* gives
both *kirim* and *irim*; a false reading costs a little precision, never a missed match. English
text goes through the same function; its words rarely match a rule, and when one does it does
so on both sides, so matching still works; the one English rule is the plural -s.
"""

import re
import unicodedata

_WORD = re.compile(r"[a-z0-9]+")
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_SUFFIXES = ("kan", "an", "i")
_MIN_STEM = 3  # shorter remainders are more likely a coincidence than a root

# Prefix -> the roots it may have come from: the remainder, or the remainder with the initial
# sound the prefix swallowed (meny-apu -> sapu, mem-ukul -> pukul, men-ulis -> tulis ...).
_VOWELS = "aeiou"
_NASAL_PREFIXES = {
    "meny": "s",
    "peny": "s",
    "meng": "k",
    "peng": "k",
    "mem": "p",
    "pem": "p",
    "men": "t",
    "pen": "t",
}
_PLAIN_PREFIXES = ("ber", "ter", "per", "me", "pe", "di", "ke", "se", "be", "te")


def normalise(text: str) -> str:
    """Lower case without diacritics: "Pengumuman RÉSMI" -> "pengumuman resmi"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def words(text: str) -> list[str]:
    return _WORD.findall(normalise(text))


def _strip_suffixes(word: str) -> set[str]:
    forms = {word}
    for group in (_PARTICLES, _POSSESSIVES, _SUFFIXES):
        # Every matching suffix is a reading: perbaik-an (baik) as well as perbai-kan.
        forms |= {
            form[: -len(suffix)]
            for form in forms
            for suffix in group
            if form.endswith(suffix) and len(form) - len(suffix) >= _MIN_STEM
        }
    return forms


def _strip_prefix(word: str) -> set[str]:
    for prefix, swallowed in _NASAL_PREFIXES.items():
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= _MIN_STEM:
            return {rest, swallowed + rest} if rest[0] in _VOWELS else {rest}
    for prefix in _PLAIN_PREFIXES:
        rest = word[len(prefix) :]
        if word.startswith(prefix) and len(rest) >= _MIN_STEM:
            return {rest}
    return set()


def stems(word: str) -> set[str]:
    """Every term `word` may stand for: itself and its possible roots."""
    found = set()
    forms = _strip_suffixes(word)
    if word.endswith("s") and not word.endswith("ss") and len(word) > _MIN_STEM + 1:
        forms.add(word[:-1])  # the English plural: "repairs" also reads "repair"
    for form in forms:
        found.add(form)
        for once in _strip_prefix(form):  # up to two prefixes: mem-per-baiki, di-per-panjang
            found.add(once)
            found.update(_strip_prefix(once))
    return found


def index_terms(text: str) -> str:
    """The text as the database indexes it: each word followed by its stems."""
    return " ".join(" ".join(sorted(stems(word), key=len, reverse=True)) for word in words(text))


def query_terms(text: str) -> list[set[str]]:
    """A query's words, each as the set of terms that may match it (at most 12 words)."""
    return [stems(word) for word in dict.fromkeys(words(text))][:12]
