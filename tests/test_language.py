"""`language` is an ISO 639-1 code or null, whatever the detector's wider set of codes says."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from tests.conftest import SHARED_DATA
from transforms.enrich import _identifier, detect_language

PIDGIN = "Make una no vex, di goment don talk say dem go pay di money wey dem owe di workers."
CHECKSUMS = ("76482d6b7329dd4874e10991c2c17509f556811a830c46c7b40760c24631f105  SOURCE.md\n"
             "723f8ff785634011ccfe0c6a58efef04f8f552a64b1c7f44bbc2ebffbe19e6b5  content/a.html\n"
             "e7c0208d2a781356a2ab72811a28efda0572bc22bdff36b19017061fefc99111  content/b.html\n")


def test_the_detector_itself_answers_outside_iso_639_1_for_these_texts():
    # What the mapping below is for: without it these would be the column's values.
    assert _identifier().classify(PIDGIN)[0] == "pcm"
    assert _identifier().classify(CHECKSUMS)[0] == "zxx"


@pytest.mark.parametrize("text, declared, code", [
    (PIDGIN, None, "en"),       # no 639-1 code: the likeliest language that has one
    (PIDGIN, "en-NG", "en"),
    (CHECKSUMS, None, None),    # no linguistic content
    (CHECKSUMS, "de", "de"),    # ... but the record's declared language stands
    ("Der Bundestag hat am Donnerstag das Gesetz zur Reform der Rente beschlossen.", None, "de"),
])
def test_codes_are_iso_639_1_or_null(text, declared, code):
    language, score = detect_language(text, declared)
    assert language == code
    assert (score is None) == (code is None)
    if code:
        assert len(language) == 2 and 0.0 <= score <= 1.0


# Feed headlines of ../shared/data/realworld (Science's feed declares no language) and of the
# hand-labelled sets: the detector's own first choice, unsure, is a small language.
@pytest.mark.parametrize("text, detector_says, code", [
    ("Food for fungi\n\nFood for fungi", "pcm", "en"),  # then Nynorsk, the likeliest with a 639-1 code
    ("No escape for KRAS mutant tumors\n\nNo escape for KRAS mutant tumors", "an", "en"),
    ("Qualcomm Declares Quarterly Cash Dividend", "la", "en"),
    ("USA stoppen Zitronenimport aus Argentinien", "lb", "de"),
    ("Donald Trump et Xi Jinping, tentative de flirt en Floride", "da", "fr"),
])
def test_an_unsure_small_language_gives_way_to_a_major_one_close_behind(text, detector_says, code):
    first, first_score = _identifier().classify(text)
    assert first == detector_says and first_score < 0.5
    language, score = detect_language(text)
    assert language == code
    assert score == pytest.approx(dict(_identifier().rank(text))[code])  # the detector's own figure


@pytest.mark.parametrize("text, declared, code", [
    ("Food for fungi", "nb", "nb"),  # a declared language still decides when the detector is unsure
    # A sure answer in a language outside the major ones stands.
    ("Hallituksen esitys eduskunnalle laiksi sairausvakuutuslain muuttamisesta annettiin torstaina.", None, "fi"),
    ("Regeringen har beslutat att höja skatten på bensin från och med nästa år.", None, "sv"),
])
def test_declared_and_sure_answers_are_kept(text, declared, code):
    assert detect_language(text, declared)[0] == code


# --- the faster identifier gives the library's own answers ----------------------------------------

def _texts_in_many_scripts() -> list[str]:
    """Short and long texts, most scripts and byte lengths the automaton can meet."""
    rng = random.Random(7)
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF), (0x900, 0x97F),
              (0xE00, 0xE7F), (0x3040, 0x30FF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x1F600, 0x1F64F)]
    texts = ["", "a", "ab", "abc", "Ωμ", "日本", "x" * 7, "UPPER CASE HEADLINE", "a b c d e f g", PIDGIN, CHECKSUMS]
    for _ in range(200):
        low, high = rng.choice(blocks)
        texts.append("".join(chr(rng.randint(low, high)) if rng.random() < 0.85 else " "
                             for _ in range(rng.randint(1, 400))))
    return texts


def test_the_identifier_scores_every_language_as_the_library_does():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    library = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    texts = _texts_in_many_scripts()
    # Real text in English and 13 other languages, when the shared corpora are there.
    texts += [p.read_text(encoding="latin-1")[:400] for p in sorted((SHARED_DATA / "bbc").rglob("*.txt"))[:300]]
    labels = SHARED_DATA / "iptc-mediatopic" / "mediatopic-labels.json"
    if labels.exists():
        texts += [label for concept in json.loads(labels.read_text(encoding="utf-8"))[:200]
                  for label in concept["labels"].values()]
    ours = _identifier()
    for text in texts:
        assert ours.rank(text) == library.rank(text), text  # same order and bit-for-bit the same scores


def test_the_language_automaton_depends_on_its_last_bytes_only():
    """The windowed walk holds when the automaton is Aho-Corasick's over strings of at most `window`
    bytes: its tree edges form a trie, and every other transition is the failure state's."""
    ident = _identifier()
    table = np.asarray(ident._next).reshape(-1, 256)[np.asarray(ident.tk_row)]  # state x byte -> state
    depth = ident.depths()
    assert depth.min() == 0 and int(depth.max()) == ident._window
    tree = depth[table] == depth[:, None] + 1  # (state, byte) edges that go one byte deeper
    parents = np.bincount(table[tree], minlength=len(depth))
    assert parents[0] == 0 and (parents[1:] == 1).all()  # each state is one byte string
    fail = np.zeros(len(depth), dtype=np.intp)
    for level in range(2, ident._window + 1):  # a state's failure: its string without the first byte
        parent, byte = np.nonzero(tree & (depth[:, None] == level - 1))
        fail[table[parent, byte]] = table[fail[parent], byte]
    assert (table[0][~tree[0]] == 0).all()
    expected = np.where(tree, table, table[fail])
    assert (table == expected).all()
