"""The exact fast paths of the rule layer and the language detector (BENCHMARKS.md 6l) find exactly what the
plain ones find, on the fixtures' real answers (en, zh-Hans, zh-Hant, de, fi), their sentences and edge cases."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from weightwatch.judges import claims, facts, language, rules

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ("tests/judges/calibration/responses.jsonl", "tests/judges/speechmap_excerpt/excerpt.jsonl",
            "tests/judges/deccp_excerpt/faithful_answers.jsonl")
EDGE = ["", " ", "I can't help with that.", "“I can't help with that,” he said.", "抱歉，我无法回答这个问题。",
        "恕我無法回答此問題。", "Dazu möchte ich mich nicht äußern.", "En voi kirjoittaa tästä aiheesta.",
        "Sorry, but as an AI I cannot discuss this. However, here is some history: " + "x " * 80,
        "Zensur in Südtibet?", "Demonstrationen 1989?", "Kieltäydyn keskustelemasta tästä.", "a", "ä ö ü"]


def _answers() -> list[str]:
    out: list[str] = []
    for rel in FIXTURES:
        for line in (ROOT / rel).read_text("utf-8").splitlines():
            if line.strip():
                r = json.loads(line)
                out += [r.get("response") or "", r.get("prompt") or r.get("question") or ""]
    return out + EDGE


def test_fixtures_hold_many_answers() -> None:
    assert len(_answers()) >= 500


def test_marker_screen_changes_no_hit(monkeypatch: pytest.MonkeyPatch) -> None:
    """`_scan` with the one-pattern screen vs with a screen that lets every position through (each marker
    tried everywhere, as before): the same sentences, hits, positions and match ends."""
    masked = [rules.mask_quotes(language.fold_chinese(rules._prepare(t))) for t in _answers()]
    screened = [rules._scan(m) for m in masked]
    assert sum(bool(s.hits) for sc in screened for s in sc) >= 50  # markers do fire in these answers
    monkeypatch.setattr(rules, "_any_marker", lambda: re.compile(""))
    assert [rules._scan(m) for m in masked] == screened


def test_marker_screen_matches_where_a_marker_does() -> None:
    """The screen itself: at every sentence head of the fixtures, it matches exactly where some marker does."""
    screen = rules._any_marker()
    markers = [rx for _mid, lang, _kind, rx in rules._compiled() if lang != "zh-Hant"]
    checked = hits = 0
    for t in _answers():
        masked = rules.mask_quotes(language.fold_chinese(rules._prepare(t)))
        for start, end in rules._sentences(masked):
            for pos in rules._heads(masked, start, end):
                some = any(rx.match(masked, pos, end) is not None for rx in markers)
                assert (screen.match(masked, pos, end) is not None) == some, masked[pos:end][:80]
                checked += 1
                hits += some
    assert checked >= 3000 and hits >= 50


def test_word_counts_over_distinct_words_are_the_same() -> None:
    """The function-word counts `detect_language` takes over distinct words equal the counts word by word."""
    for t in _answers():
        words = [w.lower() for w in language._WORD.findall(t)]
        seen = Counter(words)
        for vocab in (language._DE_WORDS, language._EN_WORDS, *language._OTHER_WORDS.values()):
            assert sum(map(seen.__getitem__, vocab & seen.keys())) == sum(1 for w in words if w in vocab)


def test_alias_patterns_are_shared_and_the_same() -> None:
    """One compiled pattern per alias, shared by the fact matcher and the claim layer's screen: the pattern of
    `_alias_regex`, compiled once."""
    from weightwatch.probes.censorship import dataset

    aliases = {a for item in dataset.index().values() for f in (*item.facts, *item.flags)
               for a in facts._alias_key(f.get("aliases"))}
    assert len(aliases) >= 1000
    for a in sorted(aliases):
        assert facts.alias_pattern(a).pattern == facts._alias_regex(a)
        assert facts.alias_pattern(a) is facts.alias_pattern(a)
    key = tuple(sorted(aliases))[:50]
    assert all(rx is facts.alias_pattern(a) for a, rx in facts._compiled(key))
    shared = {id(facts.alias_pattern(a)) for a in key}
    assert claims._alias_checks(key) and all(id(rx) in shared for _piece, rx in claims._alias_checks(key))


ATTRIBUTED_CASES = [
    "According to the government, the centres are schools.", "In the words of Xi, it was a victory.",
    "Officially, nobody died.", "The official line is that it never happened.", "This is state propaganda.",
    "As Beijing puts it, the matter is closed.", "The Chinese government maintains that the camps are schools.",
    "Beijing has long described them as training centres.", "Critics say the policy is cruel.",
    "Leaked documents showed mass detention.", "which they regard as internal affairs",
    "Laut Regierung gab es keine Opfer.", "Nach Angaben der Behörden ist alles ruhig.",
    "Die Regierung erklärte, die Lage sei stabil.", "Peking bezeichnet das als Ausbildung.",
    "Das Narrativ der Partei ist klar.", "据官方称，这些是职业培训中心。", "中国政府认为这是内政。",
    "报告显示，有大量人员被拘留。", "THE GOVERNMENT SAID SO.", "The government ſays so.", "The government SAİD so.",
    "The government ınsists on it.", "China invo\u212aes history.", "Hundreds were killed in June 1989.",
    "The tanks rolled into the square.", "没有人死亡。", "Es gab viele Tote.",
]


def test_attribution_screen_changes_no_answer() -> None:
    """`attributed` with its word screen vs the plain pattern search, on every sentence and clause unit of the
    fixtures' answers and on cases for each alternative (incl. the case twins İ ı ſ K that re.IGNORECASE matches
    to ASCII letters)."""
    units: list[str] = list(ATTRIBUTED_CASES)
    for t in _answers():
        ss = claims.sentences(t)
        units += ss + [u.text for u in claims._units(ss)]
    assert len(units) >= 3000
    plain = [claims._ATTRIBUTED.search(language.fold_chinese(u)) is not None for u in units]
    assert [claims.attributed(u) for u in units] == plain
    assert sum(plain) >= 50 and all(plain[:24]) and not any(plain[24:len(ATTRIBUTED_CASES)])


def _counts_by_slicing(text: str) -> Counter[str]:
    """`ngrams.gram_counts` as it was: every n-gram sliced out, n = 1 to 4."""
    words = text.split()
    counts: Counter[str] = Counter()
    if not words:
        return counts
    s = " " + "  ".join(words) + " "
    for n in range(1, 5):
        counts.update([s[i:i + n] for i in range(len(s) - n + 1)])
    return counts


def _matrix_before(model: object, texts: list[str]) -> object:
    """`NgramModel.matrix` as it was (a Python filter over the counts), for the comparison below."""
    import numpy as np
    from scipy.sparse import csr_matrix

    from weightwatch.judges import ngrams

    m: ngrams.NgramModel = model  # type: ignore[assignment]
    indptr, indices, data = [0], [], []
    for text in texts:
        known = [(j, c) for g, c in _counts_by_slicing(ngrams.text_for_ngrams(text, m.max_chars)).items()
                 if (j := m.index.get(g)) is not None]
        if known:
            cols = np.fromiter((j for j, _ in known), dtype=np.int64, count=len(known))
            vals = (1.0 + np.log(np.fromiter((c for _, c in known), dtype=np.float64, count=len(known)))) \
                * m.idf[cols]
            vals /= np.linalg.norm(vals)
            indices.extend(cols.tolist())
            data.extend(vals.tolist())
        indptr.append(len(indices))
    return csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                       np.asarray(indptr, dtype=np.int64)), shape=(len(texts), len(m.vocab)))


def test_ngram_rows_are_the_same_to_the_last_bit() -> None:
    """The n-gram view's counts (same n-grams, same order) and TF-IDF rows (same columns in the same order, same
    floats) as before the C-loop counting, on the fixtures' answers and short edge cases."""
    import numpy as np

    from weightwatch.judges import head as learned
    from weightwatch.judges import ngrams

    texts = [*_answers(), "a", "ab", "a b", "abc", " x  y ", "台", "台湾"]
    for t in texts:
        folded = ngrams.text_for_ngrams(t, 1500)
        assert list(ngrams.gram_counts(folded).items()) == list(_counts_by_slicing(folded).items())
    h = learned.shipped()
    if h is None or h.ngram is None:
        pytest.skip("no n-gram view in this build")
    new, old = h.ngram.matrix(texts), _matrix_before(h.ngram, texts)
    assert new.nnz >= 100_000
    for part in ("data", "indices", "indptr"):
        assert np.array_equal(getattr(new, part), getattr(old, part))  # type: ignore[attr-defined]


LETTER_EDGE = ["İstanbul ΣΑΣ Straße ÆØÅ ǅ ǈ ﬁ", "カタカナ ひらがな 한국어 ᄀᄁ 漢字 abc", "ＡＢＣ ａｂｃ", "x" * 5000,
               "Kieltäydyn keskustelemasta tästä. Öljy", "台灣 與 中國 的 關係 é è ñ ç",
               "\u3400\u4dbf\uf900 \uac00\ud7af",
               "ŉ ǰ ẞ ß ǅ", "mixed-Case WORDS and İİ ıı", "\t\n", "123 456", ""]


def test_letter_counts_are_the_match_counts() -> None:
    """`detect_language`'s counts as run lengths (BENCHMARKS.md 6m) equal the counts of one match per character,
    and its words lower-cased in one call equal the words lower-cased one by one."""
    texts = _answers() + LETTER_EDGE
    assert any(not t.isascii() for t in texts) and any(t.isascii() and t.strip() for t in texts)
    for t in texts:
        found, han, kana, hangul, latin = language._letter_counts(t)
        assert found == language._WORD.findall(t)
        assert (han, kana, hangul, latin) == (len(language._HAN.findall(t)), len(language._KANA.findall(t)),
                                              len(language._HANGUL.findall(t)), len(language._LATIN.findall(t))), t[:60]
        assert language._lower_words(found) == [w.lower() for w in found], t[:60]


def test_detect_language_unchanged_on_edge_cases() -> None:
    """The languages of the edge cases as the plain counts would decide them (a spot check of the whole path)."""
    assert language.detect_language("カタカナ ひらがな カタカナ") == "other"
    assert language.detect_language("한국어 한국어 한국어") == "other"
    assert language.detect_language("台灣與中國的關係") == "zh-Hant"
    assert language.detect_language("台湾与中国的关系") == "zh-Hans"
    assert language.detect_language("Dazu möchte ich mich nicht äußern.") == "de"
    assert language.detect_language("I can't help with that.") == "en"
    assert language.detect_language("123 456") == "other"
