"""Which language is an answer in, and one normal form for matching text.

`detect_language` returns one of ``en``, ``zh-Hans``, ``zh-Hant``, ``de``, ``fi`` or ``other``:

- Chinese when Han characters make up at least 30% of the letters (Han + Latin + kana + Hangul);
  Japanese kana or Korean Hangul dominating instead gives ``other``, and so does Han-script text with
  hiragana (Japanese written mostly in kanji: "中国軍は天安門広場周辺で市民に発砲し ..."; `_japanese`).
- Simplified vs Traditional: count characters from two small sets of characters that exist in only
  one script (这/這, 国/國, 说/說, 时/時 ...). More traditional-only than simplified-only -> ``zh-Hant``;
  ties (including none at all) -> ``zh-Hans``, the far more common script in model output.
- Latin script: German when it has umlauts/ß or more German than English function words, and German
  function words make at least 5% of the words (or an umlaut word appears and English words do not
  dominate); otherwise English when any Latin letters are present; otherwise ``other``. Words spelled
  alike in both (``was``, ``in``, ``an``, ``will``, ...) count for neither, and the lists hold the question
  words and pronouns that open short prompts (wer/warum/gibt/mir, who/why/does/me), so "Was geschah 1989
  in Peking?" is German and "Was Mao a dictator?" English.
- Short texts (up to `SHORT_TEXT_WORDS` words) with no English function word: one German-shaped word
  (an umlaut / ß, or an ending no English word has: -ung, -heit, -keit, -lich, -schaft, -iert, -ionen,
  -isch, ...) makes them German ("Unterdrückung in Tibet?", "Demonstrationen in Hongkong 2019"). A short
  German text with none of these signals ("Was bedeutet Panzermann?") still defaults to English.

- Latin script that is neither: ``other`` when the function words of another language (Finnish, French,
  Spanish, Italian, Portuguese, Dutch, Swedish: small lists in `_OTHER_TEXT`) outnumber both the English
  and the German ones, or when a text of three words or more has umlauts (ä, ö only: no ü, ß or German
  ending) but no English or German function word. Such a text is ``fi`` when it is Finnish rather than one of
  the others (`_other_language`: Finnish function words plus words of Finnish shape outnumber each other
  language's function words plus words of their shapes); else ``other``.
- Word shapes of those languages (issue 16; written after looking at SpeechMap Finnish questions and answers
  the detector took for English, such as the deflection "Kerron mieluummin Kiinan puoluejohdon uudistuksista
  rakentavasti."): a text that would default to English is ``other`` when at least `FOREIGN_MIN_SHARE` of
  its words have a foreign shape and they are at least `FOREIGN_MARGIN` times the English and German
  evidence (`_foreign`). Foreign shapes (`_foreign_shape`): Finnish letters only (no c, q, w, x, z) with a
  long vowel (aa, ii, uu, yy, ää, öö), a final ä / ö or a case ending (-ssa, -sta, -aan, -iin, -ksi, -sti,
  -inen, -ista, ...); accents English does not use (é, ñ, ç, ã, ...; pinyin with tone marks excepted),
  Dutch ``ij``, -ción / -ção / -zione / -heid. English evidence: function words (not those another language
  spells alike: Finnish ``on``), th / wh, -ing, -tion, -ed, -ly, -ness, -ment ...; German: function words
  and German-only shapes. The margin keeps mixed texts (a Finnish answer behind an English ``<think>``,
  an English answer quoting Finnish) decided by the function words; ``fi`` or ``other`` as above.
  Otherwise English.

`SUPPORTED` lists the languages the rule judge has markers for; an answer in any other language is
labelled ``unscored`` by the rules, never silently ``answered``. Finnish is not among them (the rules know a few
Finnish refusals, but cannot tell a Finnish answer from a Finnish dodge): a Finnish answer the rules do not call
refused stays ``unscored`` (a Finnish view of the learned head was measured and not shipped: judges/head.py,
docs/censorship-judge-model-card.md, "Finnish (round 5)"). `KNOWN` adds fi to the language tags a record may
state without a warning that the tag is unknown.

`fold_chinese` converts Traditional characters to Simplified with OpenCC's ``t2s`` tables (the `opencc`
package, Apache-2.0), so one set of Simplified patterns covers both scripts.

`normalize` is NFKC + casefold + collapsed whitespace (and typographic apostrophes made straight), the
form the fact matcher compares aliases in.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from functools import cache, lru_cache
from typing import Any

LANGUAGES = ("en", "zh-Hans", "zh-Hant", "de", "fi", "other")
SUPPORTED = ("en", "zh-Hans", "zh-Hant", "de")
KNOWN = (*SUPPORTED, "fi")  # tags the judges know: fi is detected and its refusals marked, else unscored

_ZH_REGION = {"cn": "zh-Hans", "sg": "zh-Hans", "my": "zh-Hans", "tw": "zh-Hant", "hk": "zh-Hant", "mo": "zh-Hant"}
_REGION = re.compile(r"^([a-z]{2}|\d{3})$")


def canonical_language(tag: str | None, known: tuple[str, ...] = SUPPORTED) -> str | None:
    """A stated language tag as the judges write it (en, zh-Hans, ...), or None when it names none of `known`.
    Case and '_' for '-' do not matter; a region is dropped (en-US -> en) and tells the script of Chinese
    (zh-CN -> zh-Hans, zh-TW -> zh-Hant, as CLDR's likely subtags do); bare 'zh' names no script: None."""
    if not isinstance(tag, str):
        return None
    canon = {k.lower(): k for k in known}
    norm = tag.strip().replace("_", "-").lower()
    if norm in canon:
        return canon[norm]
    parts = norm.split("-")
    if len(parts) < 2:
        return None
    base, rest = parts[0], parts[1:]
    if base == "zh":
        script = next((p for p in rest if p in ("hans", "hant")), None)
        if script is not None and all(p == script or _REGION.match(p) for p in rest):
            return canon.get(f"zh-{script}")
        return canon.get(_ZH_REGION.get(rest[0], "").lower()) if len(rest) == 1 else None
    return canon.get(base) if all(_REGION.match(p) for p in rest) else None

# Characters that are written differently in the two scripts: (simplified, traditional) pairs.
_PAIRS = (
    "这這 国國 说說 时時 对對 们們 会會 为為 发發 个個 来來 过過 还還 没沒 经經 见見 问問 间間 关關 无無 "
    "与與 军軍 东東 门門 开開 进進 应應 当當 学學 产產 长長 动動 边邊 样樣 现現 种種 实實 历歷 战戰 "
    "党黨 权權 华華 爱愛 体體 认認 让讓 论論 议議 处處 区區 团團 难難 杀殺 乱亂 压壓 报報 众眾 "
    "记記 变變 导導 场場 广廣 龙龍 运運 湾灣 独獨 镇鎮 图圖 书書 语語 请請 谢謝 题題 义義 "
    "么麼 吗嗎 话話 觉覺 总總 统統 条條 数數 线線 单單 尔爾 车車 机機 电電 网網 达達 钱錢 级級 传傳"
)
SIMPLIFIED_ONLY = frozenset(p[0] for p in _PAIRS.split())
TRADITIONAL_ONLY = frozenset(p[1] for p in _PAIRS.split())

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_WORD = re.compile(r"[A-Za-z\u00c0-\u024f]+")
_UMLAUT = re.compile(r"[äöüÄÖÜß]")
# runs of the classes above: `detect_language` counts characters as the summed lengths of runs (the same counts as
# one match per character, with far fewer match objects; BENCHMARKS.md 6m)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_KANA_RUN = re.compile(r"[\u3040-\u30ff]+")
_HANGUL_RUN = re.compile(r"[\uac00-\ud7af\u1100-\u11ff]+")
_HIRAGANA_RUN = re.compile(r"[\u3041-\u3096]+")
JA_HIRAGANA_MIN = 3  # hiragana letters from which Han-script text is Japanese (Chinese writes none)


def _japanese(text: str, han: int) -> bool:
    """Han-script text that is Japanese: it holds hiragana (particles, verb endings: は, で, に, ました), at least
    `JA_HIRAGANA_MIN` and one per 20 Han characters. Chinese text holds none; katakana and the middle dot ・
    alone (a transcribed name) do not count."""
    hira = sum(map(len, _HIRAGANA_RUN.findall(text)))
    return hira >= JA_HIRAGANA_MIN and 20 * hira >= han

_DE_TEXT = (
    "der die das und ist nicht ich sie ein eine einen einem einer eines zu mit auf für von dem den des sich "
    "auch es wurde wurden werden kann im sind war waren wie oder aber dass nach bei aus über noch nur wir "
    "ihr hat haben wird vom zum zur durch gegen keine kein diese dieser dieses "
    # question words, pronouns and verbs that open short prompts ("Wer ist ...?", "Gibt es ...?")
    "wer wo warum wann welche welcher welches welchen wieso weshalb gibt gab geschah passiert passierte "
    "mir mich dir dich uns ihm ihn ihnen sein seine seiner seinen ihre ihrer ihren bitte bist hast habe "
    "hatte kannst können könnte konnte sollte soll muss müssen darf mehr sehr viele viel heute jetzt immer "
    "schon nein doch damals heißt erzähl erzähle erkläre beschreibe sag sage schreib schreibe wenn weil ob "
    "denn dann worden sei nichts etwas unser unsere"
)
_EN_TEXT = (
    "the and is of to that it for with as on are this i you not be by at from or were which "
    "have has had they their but what can about there been who would will "
    # question words and pronouns that open short prompts ("Who is ...?", "Tell me ...")
    "a why how when where does do did me my your his her its our we us he she them tell please explain "
    "describe write any some than then"
)
# Spelled the same in English and German ("Was ...?", "in", "an", "will"): evidence for neither
_SHARED_WORDS = frozenset(("was", "in", "an", "will", "also", "so", "am", "man", "bin"))
# German word shapes: umlauts / ß, and endings no English word has (-ung, -heit, -keit, -lich, -schaft,
# -ierte, ...), minus the few English words that end so (young, hung, ...)
_DE_ENDINGS = (r"ungen$|ung$|heit$|keit$|lich$|liche[nmrs]?$|schaft$|schaften$|iert$|ierte[nm]?$|ieren$|isch$"
               r"|ische[nmrs]?$|ionen$")
_DE_SHAPE = re.compile(rf"(?:[äöüß]|{_DE_ENDINGS})")
# what Finnish, Swedish and Estonian words (ä, ö, å, õ) do not have: ü, ß, or a German ending
_DE_ONLY_SHAPE = re.compile(rf"(?:[üß]|{_DE_ENDINGS})")
_EN_SHAPED_LIKE_DE = frozenset(("young", "hung", "lung", "rung", "sung", "stung", "swung", "clung", "flung", "wrung",
                                "strung", "slung", "dung", "bung"))
SHORT_TEXT_WORDS = 12  # up to this many words, German word shapes count as German evidence

_OTHER_TEXT = {
    "fi": "ja on ei se että oli ovat ole mutta kuin myös tai joka jotka sen hän he me te ovat olla kun niin "
          "mitä tämä tämän nämä kanssa sekä vain jo voi en tähän tässä valitettavasti kiinan hallitus "
          # question words, pronouns and particles that open short prompts ("Kuka oli ...?", "Miksi ...?")
          "kuka mikä miksi miten missä milloin onko oliko ovatko minä sinä minun sinun minulle meidän emme "
          "eivät eikä siitä sitä koska jos vaan kaikki paljon vielä nyt",
    "fr": "le la les et est une des du que qui dans pour pas sur avec ce cette sont au aux par plus été ont "
          "de un je vous il elle ils nous moi pourquoi comment quand où mais ne leur était",
    "es": "el la los las y es una del que en por para con no se lo como más pero sus fue han ha está "
          "mi qué cómo cuál quién dónde cuándo esta este muy hay sobre",
    "it": "il la che di e è una per non con sono del della gli le ha ma come più anche questo "
          "perché cosa chi dove quando mi si nel nella sulla alla dei delle degli un uno",
    "pt": "o a os as e é um uma do da que em para com não se por mais como mas foi são ao "
          "na nas nos porque quem onde ele ela isso sobre também",
    "nl": "de het een en van is dat op te zijn niet met voor er maar ook als bij door wordt "
          "ik je jij wij mij waarom hoe wat waar wanneer geen deze dit naar uit heeft hebben werd",
    "sv": "och att det som en på är av för med till den har inte om ett var men "
          "jag du vi ni han hon varför hur vad vem när mig dig sig också eller detta dessa finns",
}
_OTHER_WORDS = {lang: frozenset(words.split()) for lang, words in _OTHER_TEXT.items()}
_DE_WORDS = frozenset(_DE_TEXT.split()) - _SHARED_WORDS
_EN_WORDS = frozenset(_EN_TEXT.split()) - _SHARED_WORDS
# English function words spelled alike in another language's list (on, he, me: fi; a, as, do: pt; is: nl)
_HOMOGRAPHS = frozenset().union(*(_EN_WORDS & v for v in _OTHER_WORDS.values()))

# Word shapes of Latin-script languages the judge does not cover (written after looking at Finnish answers the
# detector took for English, see the module docstring). A word counts for such a language when it has the shape
# and none of the English shapes below.
# Finnish: letters of the Finnish alphabet only (no c, q, w, x, z), and a long vowel (aa, ii, uu, yy, ää, öö), a
# final ä / ö (German words never end so), or, on a word of five letters or more, a case or derivation ending
# (-ssa, -sta, -aan, -iin, -ksi, -sti, -isen, -inen, -ista, -nsa, -vat, ...). The endings some English words
# have too (-lla: umbrella, -lta: delta, -tta, -tty: pretty, -ita, -ja, -lle, -mme: programme) count only in a
# text that has a word of the other shapes.
_FI_LETTERS = re.compile(r"^[abd-pr-vyäöå]+$")
_FI_VOWELS = re.compile(r"aa|ii|uu|yy|ää|öö|[äö]$")
_FI_ENDING = re.compile(r"(?:ss[aä]|st[aä]|llä|ltä|[aä]{2}n|iin|ksi|sti|ttä|ttu|v[aä]t|.isen|inen|ist[aä]|ns[aä]|jä|itä"
                        r"|[uy]ksen|[uy]den|taan|tään)$")
_FI_WEAK_ENDING = re.compile(r"(?:lla|lta|lle|tta|tty|ita|ja|mme)$")
# French, Spanish, Italian, Portuguese, Dutch, Swedish: letters with accents English spells without, Dutch 'ij'
# before a consonant (vrijheid, schrijf, zijn), and endings English words do not have. Pinyin with tone marks
# (hépíng, juéqǐ) has accents too: a word with no letter pinyin lacks (ç, ã, ñ, ê, ...) that splits into pinyin
# syllables once the marks are dropped counts for no language.
_ROMANCE_SHAPE = re.compile(r"[àáâãçèéêëìíîïñòóôõùúûœå]|ij(?:[^aeiouy]|$)"
                            r"|(?:ción|ciones|ção|ções|zione|zioni|heid|lijk|lijke|ningen|heten)$")
_NOT_PINYIN = re.compile(r"[çãõñâêîôûëïœå]")
_PINYIN = re.compile(r"(?:(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ueng|ang|eng|ing|ong|ian|iao|uai|uan|"
                     r"ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|o|e|i|u|v)'?)+")
# English shapes: th / wh, and endings no Finnish word has (-ing, -tion, -ed, -ly, -ness, -ment, -ity, -ous, -ive;
# but Finnish genitives end -aation / -ltion: organisaation, valtion)
_EN_SHAPE = re.compile(r"th|wh|(?:ing|ings|(?<!aa)(?<!l)tion|tions|ed|ly|ness|ment|ments|ity|ous|ive)$")
FOREIGN_MIN_SHARE = 0.2  # at least this share of the words has the shape of a language the judge does not cover
FOREIGN_MARGIN = 2  # ... and at least twice as many as the English and German evidence together


def _unaccented(word: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFD", word) if not unicodedata.combining(ch))


@lru_cache(maxsize=1 << 16)
def _foreign_shape(word: str) -> int:
    """2 when `word` (lower case) has a shape of Finnish or of another Latin language the judge does not cover
    and no English shape, 1 for a Finnish ending some English words have too (-lla, -tty, ...), else 0."""
    if len(word) < 4 or _EN_SHAPE.search(word):
        return 0
    if _FI_LETTERS.match(word):
        if _FI_VOWELS.search(word) or (len(word) >= 5 and _FI_ENDING.search(word)):
            return 2
        if len(word) >= 5 and _FI_WEAK_ENDING.search(word):
            return 1
    if _ROMANCE_SHAPE.search(word) is None:
        return 0
    return 2 if _NOT_PINYIN.search(word) or _PINYIN.fullmatch(_unaccented(word)) is None else 0


_WS = re.compile(r"\s+")
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u00b4": "'", "`": "'"})


def _letter_counts(text: str) -> tuple[list[str], int, int, int, int]:
    """(the Latin words of `text` (`_WORD`), its Han, kana, hangul and Latin letter counts): the counts of
    `_HAN`, `_KANA`, `_HANGUL` and `_LATIN` matches, taken as summed lengths of runs (far fewer match objects than
    one per character; BENCHMARKS.md 6m). ASCII text holds no Han, kana or hangul, and its Latin letters are
    the letters of its words (`_WORD` is `_LATIN` repeated)."""
    found = _WORD.findall(text)
    latin = sum(map(len, found))
    if text.isascii():
        return found, 0, 0, 0, latin
    han, kana, hangul = (sum(map(len, rx.findall(text))) for rx in (_HAN_RUN, _KANA_RUN, _HANGUL_RUN))
    return found, han, kana, hangul, latin


def _lower_words(found: list[str]) -> list[str]:
    """`[w.lower() for w in found]` in one call: no letter of `_WORD` lower-cases to a space or depends on its
    neighbours (str.lower's one context-dependent mapping, Greek final sigma, is outside `_WORD`)."""
    return " ".join(found).lower().split(" ") if found else []


def detect_language(text: str) -> str:
    """The language of `text`: en, zh-Hans, zh-Hant, de, fi, or other (see the module docstring)."""
    if not text:
        return "other"
    found, han, kana, hangul, latin = _letter_counts(text)
    letters = han + kana + hangul + latin
    if letters == 0:
        return "other"
    if kana + hangul > han and (kana + hangul) / letters >= 0.3:
        return "other"
    if han / letters >= 0.3:
        if kana and _japanese(text, han):
            return "other"
        simp = sum(map(SIMPLIFIED_ONLY.__contains__, text))
        trad = sum(map(TRADITIONAL_ONLY.__contains__, text))
        return "zh-Hant" if trad > simp else "zh-Hans"
    if latin == 0:
        return "other"
    words = _lower_words(found)
    # how many of the words each list holds: counted over the distinct words (the same sums, fewer steps)
    seen = Counter(words)
    distinct = seen.keys()
    de = sum(map(seen.__getitem__, _DE_WORDS & distinct))
    en = sum(map(seen.__getitem__, _EN_WORDS & distinct))
    umlauts = 0 if text.isascii() else len(_UMLAUT.findall(text))
    counts = {lang: sum(map(seen.__getitem__, vocab & distinct)) for lang, vocab in _OTHER_WORDS.items()}
    other = max(counts.values())
    if other >= 2 and other > max(de, en) and other >= 0.05 * len(words):
        return _other_language(words, counts)
    if umlauts and de == en == 0 and len(words) >= 3 and not any(_DE_ONLY_SHAPE.search(w) for w in words):
        return _other_language(words, counts)  # "Kieltäydyn keskustelemasta ...": ä/ö alone is Finnish or Swedish
    if de > en and (de >= 0.05 * len(words) or umlauts):
        return "de"
    if umlauts and de >= en and de > 0:
        return "de"
    if _foreign(words, de):
        return _other_language(words, counts)
    if len(words) <= SHORT_TEXT_WORDS and en == 0 and any(
            w not in _EN_SHAPED_LIKE_DE and _DE_SHAPE.search(w) for w in words):
        # a short prompt without a German function word ("Zensur in Südtibet?", "Demonstrationen 1989?")
        # and without an English one: a German-shaped word decides
        return "de"
    return "en"


_FI_ONLY_LETTERS = re.compile(r"^[abd-pr-vyäö]+$")  # the Finnish letters without å (Swedish) or c, q, w, x, z


@lru_cache(maxsize=1 << 16)
def _shape_of(word: str) -> int:
    """1 for a word of Finnish shape (as `_foreign_shape`, strong shapes only, and no å), -1 for a word of another
    uncovered Latin language's shape (`_ROMANCE_SHAPE`), else 0."""
    if (len(word) >= 4 and _FI_ONLY_LETTERS.match(word) is not None and _EN_SHAPE.search(word) is None
            and (_FI_VOWELS.search(word) is not None or (len(word) >= 5 and _FI_ENDING.search(word) is not None))):
        return 1
    return -1 if _ROMANCE_SHAPE.search(word) is not None else 0


def _other_language(words: list[str], counts: dict[str, int]) -> str:
    """fi or other, for a text that is neither English nor German: fi when it has a word of Finnish shape and the
    Finnish function words plus the words of Finnish shape outnumber the function words of each other language
    plus the words of their shapes ("Analysoi ... Sisä-Mongoliassa": Swedish "han" is one word, three are Finnish)."""
    shapes = [_shape_of(w) for w in words]
    fi_shaped, other_shaped = shapes.count(1), shapes.count(-1)
    rest = max(n for lang, n in counts.items() if lang != "fi")
    return "fi" if fi_shaped and counts["fi"] + fi_shaped > rest + other_shaped else "other"


def _foreign(words: list[str], de: int) -> bool:
    """Word shapes of a language the judge does not cover outweigh the English and German evidence: function
    words (those spelled alike in another language's list, like Finnish 'on', count for neither), English
    shapes, and German-only shapes (ü, ß, -ung, -lich, ...)."""
    english_words = sum(1 for w in words if w in _EN_WORDS and w not in _HOMOGRAPHS)
    if FOREIGN_MARGIN * english_words > sum(1 for w in words if len(w) >= 4):
        return False  # an English text: even if every word of four letters or more had a foreign shape, too few
    shapes = [_foreign_shape(w) for w in words]
    strong = shapes.count(2)
    foreign = strong + shapes.count(1) if strong else 0
    if foreign < 2 or foreign < FOREIGN_MIN_SHARE * len(words):
        return False
    english = english_words + sum(1 for w in words if _EN_SHAPE.search(w) and w not in _EN_WORDS)
    german = de + sum(1 for w in words if w not in _EN_SHAPED_LIKE_DE and _DE_ONLY_SHAPE.search(w))
    return foreign >= FOREIGN_MARGIN * (english + german)


def normalize(text: str) -> str:
    """NFKC, casefold, straight apostrophes, and runs of white space collapsed to one space."""
    text = unicodedata.normalize("NFKC", text or "").translate(_APOSTROPHES).casefold()
    return _WS.sub(" ", text).strip()


@cache
def _t2s() -> Any:
    import opencc

    return opencc.OpenCC("t2s")


def fold_chinese(text: str) -> str:
    """`text` with Traditional Chinese characters converted to Simplified (OpenCC t2s); other text as is."""
    if not text or _HAN.search(text) is None:
        return text
    return str(_t2s().convert(text))


@cache
def _s2t() -> Any:
    import opencc

    return opencc.OpenCC("s2t")


def to_traditional(text: str) -> str:
    """Simplified -> Traditional characters (OpenCC s2t), e.g. to derive zh-Hant claim sentences."""
    if not text or _HAN.search(text) is None:
        return text
    return str(_s2t().convert(text))
