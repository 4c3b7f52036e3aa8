"""The plain-Python MinHash/LSH core: signatures, band keys, candidates, verification, clusters."""

from __future__ import annotations

import pickle
import random

import numpy as np
import pytest

from transforms.minhash import (
    EXACT_SHINGLES,
    MinHasher,
    MinHashParams,
    bucket_edges,
    candidate_pairs,
    connected_components,
    estimate_containment,
    estimate_jaccard,
    exact_jaccard,
    exact_set,
    folds_into,
    is_near_duplicate,
    lsh_probability,
    near_duplicate_clusters,
    near_duplicate_groups,
    shingle_hashes,
    star_edges,
    strip_leading_dateline,
    unique_pairs,
    verify_edges,
    words,
)

VOCAB = [f"w{i}" for i in range(3000)]


def story(seed: int, n: int = 300) -> str:
    rng = random.Random(seed)
    sentences = [" ".join(rng.choice(VOCAB) for _ in range(15)) + "." for _ in range(n // 15)]
    return "\n\n".join(" ".join(sentences[i:i + 4]) for i in range(0, len(sentences), 4))


def test_signature_depends_only_on_text_and_parameters():
    body = story(1)
    a = MinHasher(MinHashParams()).signature(body)
    b = pickle.loads(pickle.dumps(MinHasher(MinHashParams()))).signature(body)
    assert a.dtype == np.uint32 and a.size == MinHashParams().num_perm
    assert np.array_equal(a, b)
    assert not np.array_equal(a, MinHasher(MinHashParams(seed=2)).signature(body))


def test_case_punctuation_and_dateline_do_not_change_shingles():
    body = "Shares rose sharply on Monday, traders said. The index gained 2%."
    variants = [
        "LONDON (Reuters) - " + body,
        "SALVADOR, Feb 26 - " + body,
        body.upper().replace(",", " ,"),
    ]
    for variant in variants:
        assert words(variant) == words(body), variant


def test_lowercase_sentence_start_is_not_taken_for_a_dateline():
    assert strip_leading_dateline("the - sign is used here") == "the - sign is used here"


def test_a_web_credit_is_not_taken_for_a_dateline():
    for credit in ("USATODAY.com - ", "SPACE.com - ", "FT.com - "):
        assert strip_leading_dateline(credit + "States that block shipments") == credit + "States that block shipments"
    for dateline in ("ST. LOUIS - ", "WASHINGTON (Reuters) - ", "U.S. - "):
        assert strip_leading_dateline(dateline + "States that block shipments") == "States that block shipments"


def test_estimate_tracks_exact_jaccard():
    hasher = MinHasher(MinHashParams())
    rng = random.Random(3)
    errors = []
    for seed in range(40):
        w = words(story(seed))
        cut = w[: rng.randint(len(w) // 3, len(w))]
        a, b = shingle_hashes(w, 5), shingle_hashes(cut, 5)
        errors.append(estimate_jaccard(hasher.signature_of_hashes(a), hasher.signature_of_hashes(b))
                      - exact_jaccard(a, b))
    assert abs(np.mean(errors)) < 0.02
    assert np.std(errors) < 0.06


def test_shingle_order_matters():
    assert not np.array_equal(shingle_hashes(["a", "b"], 2), shingle_hashes(["b", "a"], 2))


def test_empty_body_has_no_band_keys():
    hasher = MinHasher(MinHashParams())
    assert hasher.band_keys(hasher.signature("... !!")) == []
    assert estimate_jaccard(hasher.signature(""), hasher.signature("")) == 0.0


def test_band_keys_are_one_per_band_and_signed_64_bit():
    params = MinHashParams(bands=20, rows=5)
    keys = MinHasher(params).band_keys(MinHasher(params).signature(story(5)))
    assert len(keys) == 20 and len(set(keys)) == 20
    assert all(-(1 << 63) <= k < (1 << 63) for k in keys)


def test_lsh_s_curve():
    assert lsh_probability(0.9, 32, 4) > 0.999
    assert lsh_probability(0.1, 32, 4) < 0.01


def test_bucket_becomes_a_star_not_all_pairs():
    assert bucket_edges(["c", "a", "b", "a"]) == [("a", "b"), ("a", "c")]
    assert len(bucket_edges([str(i) for i in range(500)])) == 499


def test_components_do_not_depend_on_edge_order():
    edges = [("d", "e"), ("b", "c"), ("a", "b"), ("x", "y"), ("e", "c")]
    expected = connected_components(edges)
    for seed in range(5):
        shuffled = edges[:]
        random.Random(seed).shuffle(shuffled)
        assert connected_components([(b, a) for a, b in shuffled]) == expected
    assert expected["e"] == "a" and expected["y"] == "x"


def test_trimmed_copy_with_typos_is_clustered_and_other_stories_are_not():
    original = story(10)
    paragraphs = original.split("\n\n")
    copy = "\n\n".join(paragraphs[: int(len(paragraphs) * 0.75)]).replace("w1 ", "w1x ", 2)
    bodies = {"orig": original, "copy": copy, "other": story(11), "third": story(12)}
    assert near_duplicate_clusters(bodies) == [["copy", "orig"]]


def test_candidates_come_from_shared_buckets_only():
    keys = {"a": [1, 2], "b": [2, 3], "c": [4]}
    assert candidate_pairs(keys) == {("a", "b")}


def test_parameters_are_checked_with_a_readable_message():
    with pytest.raises(ValueError, match="threshold"):
        MinHashParams(threshold=1.5)
    with pytest.raises(ValueError, match="band"):
        MinHashParams(bands=0)


def test_lead_paragraphs_of_a_longer_story_count_as_a_copy():
    full = story(20, n=900)
    lead = "\n\n".join(full.split("\n\n")[:4])  # about a third of the words: Jaccard ~0.3
    bodies = {"full": full, "lead": lead, "other": story(21, n=900)}
    assert near_duplicate_clusters(bodies) == [["full", "lead"]]
    assert near_duplicate_clusters(bodies, MinHashParams(containment=1.01)) == []


def test_containment_rule_adds_nothing_for_bodies_of_equal_length():
    params = MinHashParams()
    assert not is_near_duplicate(0.45, 300, 300, params)  # would need Jaccard >= 0.67
    assert is_near_duplicate(0.35, 300, 900, params)  # the shorter is ~93% inside the longer
    assert estimate_containment(1.0, 10, 10) == 1.0


def test_a_brief_inside_two_long_stories_does_not_chain_them():
    brief = story(30, n=150)
    bodies = {"a": brief + "\n\n" + story(31, n=200), "b": brief + "\n\n" + story(32, n=150), "c": brief}
    signatures, sizes = _fingerprints(bodies)
    for long in ("a", "b"):
        jaccard = estimate_jaccard(signatures[long], signatures["c"])
        assert is_near_duplicate(jaccard, sizes[long], sizes["c"], MinHashParams())
    for orders in (None, {"c": 0, "b": 1, "a": 2}, {"a": 0, "b": 1, "c": 2}):
        groups = near_duplicate_groups(signatures, sizes, orders=orders)
        # the brief folds into one of the long stories, never the other way round, and never both
        assert len(groups) == 1 and groups[0][0] in ("a", "b") and groups[0][1] in (["a", "c"], ["b", "c"]), groups


def test_two_stories_of_a_roundup_never_fold_into_each_other():
    one, two = story(40, n=300), story(41, n=300)
    bodies = {"one": one, "two": two, "roundup": one + "\n\n" + two}
    signatures, sizes = _fingerprints(bodies)
    params = MinHashParams()
    for orders in ({"one": 0, "two": 1, "roundup": 2}, {"roundup": 0, "one": 1, "two": 2}):
        groups = near_duplicate_groups(signatures, sizes, params, orders)
        assert groups, orders
        for canonical, members in groups:
            assert not ({"one", "two"} <= set(members) and canonical != "roundup"), groups
            for member in set(members) - {canonical}:
                jaccard = estimate_jaccard(signatures[member], signatures[canonical])
                assert folds_into(jaccard, sizes[member], sizes[canonical], params)


def _fingerprints(bodies):
    hasher = MinHasher(MinHashParams())
    prints = {n: hasher.fingerprint(b) for n, b in bodies.items()}
    return {n: p.signature for n, p in prints.items()}, {n: p.shingles for n, p in prints.items()}


def test_star_edges_of_band_shards_add_up_to_those_of_everything():
    rng = np.random.default_rng(4)
    keys = rng.integers(0, 50, size=2000).astype(np.uint64)
    nodes = rng.integers(0, 300, size=2000).astype(np.uint64)
    whole = star_edges(keys, nodes)
    parts = [star_edges(keys[keys % 7 == s], nodes[keys % 7 == s]) for s in range(7)]
    assert np.array_equal(unique_pairs(np.concatenate(parts)), whole)
    assert (whole[:, 0] < whole[:, 1]).all()
    # a bucket is a star from its smallest member, as `bucket_edges` draws it
    assert star_edges(np.array([9, 9, 9, 9], np.uint64), np.array([30, 10, 20, 10], np.uint64)).tolist() == [
        [10, 20], [10, 30]]


def test_band_key_matrix_matches_band_keys():
    hasher = MinHasher(MinHashParams())
    sigs = np.stack([hasher.signature(story(s)) for s in range(3)])
    matrix = hasher.band_key_matrix(sigs)
    assert [[int(k) - (1 << 63) for k in row] for row in matrix] == [hasher.band_keys(s) for s in sigs]


def test_vectorised_verification_is_the_scalar_rule():
    params = MinHashParams()
    hasher = MinHasher(params)
    rng = random.Random(8)
    pairs = []
    for seed in range(30):
        w = story(seed).split()
        a = " ".join(w[: rng.randint(20, len(w))])
        b = " ".join(w[rng.randint(0, 10): rng.randint(20, len(w))])
        pairs.append((hasher.fingerprint(a), hasher.fingerprint(b)))
    sig_a = np.stack([np.frombuffer(a[0], "<u4") for a, _ in pairs])
    sig_b = np.stack([np.frombuffer(b[0], "<u4") for _, b in pairs])
    size_a = np.array([a[1] for a, _ in pairs])
    size_b = np.array([b[1] for _, b in pairs])
    jaccard, near = verify_edges(sig_a, sig_b, size_a, size_b, params)
    for i, ((sa, ka, _), (sb, kb, _)) in enumerate(pairs):
        j = estimate_jaccard(sa, sb)
        assert jaccard[i] == j and near[i] == is_near_duplicate(j, ka, kb, params)
    assert near.any() and not near.all()


def test_containment_rule_does_not_fire_on_a_lucky_estimate():
    params = MinHashParams()
    # A 66-shingle brief sharing a paragraph with a 600-shingle article (true containment ~0.36,
    # Jaccard ~0.04), estimated at Jaccard 0.095: taken at face value, containment 0.87.
    assert estimate_containment(0.095, 66, 600) > params.containment
    assert not is_near_duplicate(0.095, 66, 600, params)
    # A lead cut to a third of its story still passes.
    assert is_near_duplicate(0.33, 100, 300, params)


def edited(seed: int, rate: float = 0.06) -> tuple[str, str]:
    """A story and a copy with ~`rate` of its words replaced: true 5-shingle Jaccard ~0.4-0.6."""
    rng = random.Random(seed)
    original = story(seed).split()
    copy = [rng.choice(VOCAB) if rng.random() < rate else w for w in original]
    return " ".join(original), " ".join(copy)


def true_jaccard(a: str, b: str) -> float:
    return exact_jaccard(shingle_hashes(words(a), 5), shingle_hashes(words(b), 5))


def test_short_bodies_are_verified_on_their_exact_shingle_sets_not_a_lucky_estimate():
    params = MinHashParams()
    hasher = MinHasher(params)
    lucky, unlucky = [], []
    for seed in range(300):
        a, b = edited(seed)
        fa, fb = hasher.fingerprint(a), hasher.fingerprint(b)
        true, estimate = true_jaccard(a, b), estimate_jaccard(fa.signature, fb.signature)
        if true < params.threshold <= estimate:
            lucky.append((a, b, fa, fb))
        elif estimate < params.threshold <= true:
            unlucky.append((a, b, fa, fb))
    assert len(lucky) >= 5 and len(unlucky) >= 5
    for pairs, folds in ((lucky, False), (unlucky, True)):
        for a, b, fa, fb in pairs:
            signatures, sizes = {"a": fa.signature, "b": fb.signature}, {"a": fa.shingles, "b": fb.shingles}
            # on the estimate alone the decision is wrong; on the shingle sets it is right
            exact = {"a": fa.exact, "b": fb.exact}
            assert bool(near_duplicate_groups(signatures, sizes, params)) is not folds
            assert bool(near_duplicate_groups(signatures, sizes, params, exact=exact)) is folds
            assert bool(near_duplicate_clusters({"a": a, "b": b})) is folds


def test_exact_measures_in_vectorised_verification():
    params = MinHashParams()
    hasher = MinHasher(params)
    pairs = [edited(seed, rate) for seed, rate in zip(range(20), [0.02, 0.06, 0.1, 0.3] * 5)]
    brief, long = story(50, n=60), story(50, n=60) + "\n\n" + story(51, n=400)
    pairs.append((brief, long))
    prints = [(hasher.fingerprint(a), hasher.fingerprint(b)) for a, b in pairs]
    sig_a = np.stack([np.frombuffer(fa.signature, "<u4") for fa, _ in prints])
    sig_b = np.stack([np.frombuffer(fb.signature, "<u4") for _, fb in prints])
    size_a = np.array([fa.shingles for fa, _ in prints])
    size_b = np.array([fb.shingles for _, fb in prints])
    jaccard, near = verify_edges(sig_a, sig_b, size_a, size_b, params,
                                 [fa.exact for fa, _ in prints], [fb.exact for _, fb in prints])
    for i, (a, b) in enumerate(pairs):
        assert jaccard[i] == pytest.approx(true_jaccard(a, b), abs=1e-3)
        assert near[i] == (true_jaccard(a, b) >= params.threshold or i == len(pairs) - 1)
    # a pair one end of which has no shingle set falls back to the estimate
    jaccard, _ = verify_edges(sig_a, sig_b, size_a, size_b, params,
                              [b""] * len(prints), [fb.exact for _, fb in prints])
    assert all(jaccard[i] == estimate_jaccard(fa.signature, fb.signature) for i, (fa, fb) in enumerate(prints))


def test_only_bodies_up_to_the_limit_carry_their_shingle_set():
    hasher = MinHasher(MinHashParams())
    short, huge = story(60, n=300), story(61, n=EXACT_SHINGLES + 600)
    assert len(hasher.fingerprint(short).exact) == 4 * hasher.fingerprint(short).shingles
    assert hasher.fingerprint(huge).shingles > EXACT_SHINGLES and hasher.fingerprint(huge).exact == b""
    assert hasher.fingerprint("").exact == b"" and exact_set(np.empty(0, np.uint64)) == b""


def test_signature_is_the_high_half_of_each_permutations_least_value():
    """Each signature value is min over shingles of (a*h + b) mod 2**64, its high 32 bits: the
    vectorised form takes the minimum before the shift, which must not change a value."""
    hasher = MinHasher(MinHashParams())
    body = story(11, n=60)
    hashes = shingle_hashes(words(body), hasher.params.shingle_size, hasher.params.seed)
    a, b = (int(x) for x in hasher._a[:, 0]), (int(x) for x in hasher._b[:, 0])
    expected = [min((ai * int(h) + bi) % (1 << 64) for h in hashes) >> 32 for ai, bi in zip(a, b)]
    assert hasher.signature(body).tolist() == expected
