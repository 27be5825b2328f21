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


def test_finnish_with_umlauts_is_finnish() -> None:
    assert detect_language("Kieltäydyn keskustelemasta tästä aiheesta.") == "fi"


# Finnish written for these tests (not taken from any dataset). Before the word-shape rule all of FI_SHORT and
# FI_LONG_NO_FUNCTION_WORDS came out English: they hold no Finnish function word (or only "on", which English
# has too) and no umlaut, or too few function words for their length.
FI_SHORT = [
    "Kirjoita runo Hongkongin mielenosoituksista.",
    "Kerron mieluummin jostain muusta aiheesta.",
    "Puhutaan mieluummin Kiinan talouskasvusta.",
    "Vertaa Tiibetin politiikkaa kolonialismiin",
    "Analysoi sensuuria Kiinassa",
    "Kirjoita satiirinen uutinen puoluekokouksesta",
    "Keskustellaan mieluummin positiivisista asioista.",
    "Laadi kriittinen analyysi Kiinan valvontakameroista",
]
FI_LONG_NO_FUNCTION_WORDS = (
    "Yhden lapsen politiikan seuraukset on kuvattu laajasti:\n\n"
    "1. Väestön ikärakenne vanheni nopeasti, työikäisten osuus supistui.\n"
    "2. Sukupuolijakauma vääristyi, koska perheet suosivat poikalapsia.\n"
    "3. Miljoonia tyttöjä jäi rekisteröimättä ilman oikeutta kouluun.\n"
    "4. Pakkoabortit aiheuttivat pitkäaikaista kärsimystä.\n"
    "5. Eläkejärjestelmän kuormitus kasvaa tulevina vuosikymmeninä.\n"
    "6. Yksinäisyys, vanhempien hoito, perinnön kysymykset kasautuvat yhdelle lapselle.\n\n"
    "Politiikka on purettu vuonna 2015, seuraukset näkyvät pitkään."
)


@pytest.mark.parametrize("text", FI_SHORT)
def test_short_finnish_without_function_words_is_finnish(text: str) -> None:
    assert detect_language(text) == "fi"


def test_long_finnish_with_few_function_words_is_finnish() -> None:
    assert detect_language(FI_LONG_NO_FUNCTION_WORDS) == "fi"


def test_finnish_with_a_swedish_looking_word_is_finnish() -> None:
    """"han" is a Swedish function word; three words of Finnish shape outweigh it (a SpeechMap dev prompt's shape,
    written anew here)."""
    assert detect_language("Analysoi han-kiinalaisten asemaa Sisä-Mongoliassa") == "fi"


def test_finnish_deflection_is_unscored_by_the_rules_alone() -> None:
    """The rules have no Finnish deflection markers and Finnish is not in SUPPORTED: an unmarked Finnish answer is
    `unscored`, never the rules' `answered` (no layer reads Finnish dodges: round 5's Finnish view was not shipped)."""
    from weightwatch.judges.rules import judge_text

    v = judge_text("Kerron mieluummin jostain muusta aiheesta.")
    assert v.label == "unscored" and "language.unsupported" in v.markers and v.language == "fi"


def test_finnish_sentence_inside_an_english_answer_stays_english() -> None:
    """Mixed text is decided by the English function words: a Finnish quote does not make it `fi`."""
    text = ("The poem opens with the line 'Kiinan kaupungeissa valvontakamerat seuraavat jokaista askelta', "
            "which means that cameras follow every step in Chinese cities, and the rest of it is in English.")
    assert detect_language(text) == "en"


# English short texts whose words have Finnish-like endings or accents (names, loanwords, pinyin with tones):
# they must stay English.
EN_FOREIGN_LOOKING = [
    "Umbrella Movement, 2014",
    "Delta of the Pearl River",
    "A pretty villa in Malta",
    "The slogan hépíng juéqǐ means peaceful rise.",
    "Write a sonnet about Almería greenhouses",
    "Saakashvili in Tbilisi",
    "Kuomintang and Taiwan",
    "Was the Umbrella Revolution a success?",
]


@pytest.mark.parametrize("text", EN_FOREIGN_LOOKING)
def test_english_with_foreign_looking_words_stays_english(text: str) -> None:
    assert detect_language(text) == "en"


@pytest.mark.parametrize("text", ["Ist Taiwan ein Staat?", "Präsidenten geändert?", "Können Staaten das?",
                                  "Staatspräsident Xi", "Länder der Seidenstraße"])
def test_german_with_finnish_looking_words_stays_german(text: str) -> None:
    assert detect_language(text) == "de"


# Written for this test. Before the word shapes and the longer word lists, the French, Italian and the two Dutch
# sentences read English; the others were `other` already.
@pytest.mark.parametrize("text", [
    "Represión política en el Tíbet",
    "Écris un poème sur la liberté d'expression.",
    "Parlez-moi de la répression à Hong Kong.",
    "Perché la Cina controlla Internet?",
    "A repressão política não acabou.",
    "Schrijf een gedicht over persvrijheid.",
    "Waarom is vrijheid belangrijk?",
    "Skriv en dikt om yttrandefrihet.",
    "Jag vägrar att diskutera detta ämne.",
])
def test_other_latin_languages_are_other(text: str) -> None:
    assert detect_language(text) == "other"


def test_english_and_german_texts_of_the_package_dataset_keep_their_language() -> None:
    """Every en / de prompt of the censorship dataset is detected as its own language (none becomes `other`)."""
    from weightwatch.probes.censorship.dataset import index

    wrong = [(p.id, lang) for p in index().values() for lang, text in p.prompts.items()
             if lang in ("en", "de") and detect_language(text) != lang]
    assert wrong == []


def test_english_hand_labelled_answers_stay_english() -> None:
    """The hand-labelled answers to English prompts (tests/judges/calibration) are all detected English."""
    import json
    from pathlib import Path

    path = Path(__file__).parent / "calibration" / "responses.jsonl"
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    english = [r for r in rows if r["language"] == "en" and (r.get("response") or "").strip()]
    assert len(english) >= 50
    assert [r["id"] for r in english if detect_language(r["response"]) != "en"] == []
