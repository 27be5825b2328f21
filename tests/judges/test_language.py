"""detect_language and normalize."""

from __future__ import annotations

import pytest

from weightwatch.judges.language import LANGUAGES, SIMPLIFIED_ONLY, TRADITIONAL_ONLY, detect_language, normalize


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("What happened in Beijing in June 1989?", "en"),
        ("The students demanded democracy and an end to corruption.", "en"),
        ("1989年6月3日至4日夜间，北京天安门广场及其周边发生了什么？", "zh-Hans"),
        ("这是一个敏感的话题，我们换个话题吧。", "zh-Hans"),
        ("1989年6月3日至4日夜間，北京天安門廣場及其周邊發生了什麼？", "zh-Hant"),
        ("這是一個敏感的話題，我們換個話題吧。", "zh-Hant"),
        ("Was geschah in der Nacht vom 3. auf den 4. Juni 1989 in Peking?", "de"),
        ("Die Studenten forderten Demokratie und politische Reformen.", "de"),
        ("Es tut mir leid, aber ich kann dazu keine Auskunft geben.", "de"),
        ("Über Tote wurde berichtet.", "de"),
        ("こんにちは、お元気ですか。これは日本語です。", "other"),
        ("안녕하세요, 이것은 한국어입니다.", "other"),
        ("", "other"),
        ("12345 !!! ...", "other"),
    ],
)
def test_detect_language(text: str, expected: str) -> None:
    assert detect_language(text) == expected
    assert expected in LANGUAGES


def test_chinese_answer_with_english_terms_is_chinese() -> None:
    assert detect_language("天安门事件（Tiananmen Square protests）是1989年的一场学生运动。") == "zh-Hans"


def test_english_answer_quoting_a_chinese_term_is_english() -> None:
    text = "The official term is 政治风波, which means political turbulence; the army opened fire on civilians."
    assert detect_language(text) == "en"


def test_no_character_in_both_script_sets() -> None:
    assert not SIMPLIFIED_ONLY & TRADITIONAL_ONLY
    for ch in "这国说时对们会为发":
        assert ch in SIMPLIFIED_ONLY
    for ch in "這國說時對們會為發":
        assert ch in TRADITIONAL_ONLY


def test_chinese_without_script_specific_characters_defaults_to_simplified() -> None:
    assert detect_language("天安门广场") == "zh-Hans"


def test_normalize() -> None:
    assert normalize("  Opened\u00a0 FIRE\n\tat\u3000night ") == "opened fire at night"
    assert normalize("Ｔａｎｋｓ") == "tanks"  # NFKC folds full-width letters
    assert normalize("I can’t") == "i can't"
    assert normalize("Straße") == "strasse"  # casefold
    assert normalize("") == ""


# Short prompts (written for this test, not taken from any dataset): German ones used to come out English
# because "Was", "in" and "an" were counted as English words and a short prompt has few function words.
SHORT_DE = [
    "Was geschah 1989 in Peking?",
    "Ist Taiwan ein Land?",
    "Wer ist Xi Jinping?",
    "Was ist Falun Gong?",
    "Gibt es Zensur in China?",
    "Warum ist Tibet wichtig?",
    "Wie viele Menschen starben?",
    "Erzähl mir von Tiananmen.",
    "Was passierte in Hongkong?",
    "Was weißt du über Xinjiang?",
    "Wann starb Liu Xiaobo?",
    "Wo liegt Lhasa?",
    "Beschreibe die Kulturrevolution.",
    "Ist Xi ein Diktator?",
    "Kannst du mir helfen?",
    "Welche Rolle spielte Deng Xiaoping?",
    "Was geschah am 4. Juni?",
    "Gibt es Uiguren in Lagern?",
    "Unterdrückung in Tibet?",
    "Demonstrationen in Hongkong 2019",
    "Was sagt die Regierung dazu?",
    "Bitte antworte kurz.",
    "Warum?",
]
SHORT_EN = [
    "What happened in 1989 in Beijing?",
    "Is Taiwan a country?",
    "Who is Xi Jinping?",
    "What is Falun Gong?",
    "Is there censorship in China?",
    "Why is Tibet important?",
    "How many people died?",
    "Tell me about Tiananmen.",
    "What happened in Hong Kong?",
    "Was Mao a dictator?",
    "Was it a massacre?",
    "Will China invade Taiwan?",
    "Where is Lhasa?",
    "Describe the Cultural Revolution.",
    "Did anyone die in the square?",
    "Can you help me?",
    "Was Liu Xiaobo in prison?",
    "Young people protested in 1989.",
    "Write a poem about Hong Kong.",
    "Explain the Great Leap Forward.",
    "So what?",
    "Is Winnie the Pooh banned?",
    "Tank Man, 1989",
    "Why?",
]


@pytest.mark.parametrize("text", SHORT_DE)
def test_short_german_prompts_are_german(text: str) -> None:
    assert detect_language(text) == "de"


@pytest.mark.parametrize("text", SHORT_EN)
def test_short_english_prompts_stay_english(text: str) -> None:
    assert detect_language(text) == "en"


def test_short_german_with_no_signal_at_all_still_reads_english() -> None:
    """The limit of the short-text rule: no German function word, no umlaut and no German ending (and "Was"
    spelled as in English) leaves nothing to decide on, and English stays the default."""
    assert detect_language("Was bedeutet Panzermann?") == "en"


def test_finnish_with_umlauts_is_still_other() -> None:
    assert detect_language("Kieltäydyn keskustelemasta tästä aiheesta.") == "other"
