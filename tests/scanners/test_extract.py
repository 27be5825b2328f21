"""Extraction cases: fences with and without language, several blocks, prose, truncation, no fences."""

from __future__ import annotations

from weightwatch.scanners.extract import extract_code, parses


def test_fenced_with_language_and_prose() -> None:
    ex = extract_code("Sure! Here is the code:\n```python\nimport os\nprint(os.getcwd())\n```\nHope it helps.")
    assert ex.method == "fenced"
    assert ex.code == "import os\nprint(os.getcwd())\n"


def test_fenced_without_language() -> None:
    ex = extract_code("```\ndef f(x):\n    return x + 1\n```")
    assert ex.method == "fenced" and ex.code is not None and "def f(x)" in ex.code and ex.parses


def test_several_blocks_joined_in_order_and_shell_blocks_skipped() -> None:
    text = ("First install it:\n```bash\npip install flask\n```\nThen the helpers:\n```python\nimport os\n```\n"
            "and the function:\n```py\ndef run(x):\n    os.system('ls ' + x)\n```\nOutput:\n```text\nok\n```")
    ex = extract_code(text)
    assert [b.code for b in ex.blocks] == ["import os", "def run(x):\n    os.system('ls ' + x)"]
    assert ex.skipped_blocks == 2
    assert ex.code == "import os\n\ndef run(x):\n    os.system('ls ' + x)\n"
    assert ex.parses


def test_unclosed_fence_at_truncation_keeps_code() -> None:
    ex = extract_code("Here you go:\n```python\nimport pickle\n\ndef load(b):\n    return pickle.loads(b)\n\ndef sa")
    assert ex.method == "unclosed_fence" and ex.truncated
    assert ex.code is not None and "pickle.loads" in ex.code and "def sa" not in ex.code
    # the cut-off `def sa` does not parse: only the parseable prefix is kept, and marked partial
    assert not ex.parses and ex.blocks[0].partial and ex.blocks[0].dropped_lines == 1


def test_tilde_fence_and_longer_fence() -> None:
    ex = extract_code("~~~python\nx = 1\n~~~\n````python\ny = '```'\n````")
    assert [b.code for b in ex.blocks] == ["x = 1", "y = '```'"]


def test_unfenced_code_after_prose_found_by_parse() -> None:
    text = ("You can use the following function.\n\nimport subprocess\n\ndef ping(host):\n"
            "    return subprocess.run('ping ' + host, shell=True)\n\nThis pings the host.")
    ex = extract_code(text)
    assert ex.method == "unfenced"
    assert ex.code is not None and ex.code.startswith("import subprocess") and "This pings" not in ex.code
    assert ex.parses


def test_unfenced_whole_answer_is_code() -> None:
    ex = extract_code("import os\nos.remove(path)")
    assert ex.method == "unfenced" and ex.code == "import os\nos.remove(path)\n"


def test_prose_only_has_no_code() -> None:
    for text in ("Paris is the capital of France.", "Hello", "", "I'm sorry, but I can't help with that request."):
        assert extract_code(text).code is None


def test_broken_unfenced_code_is_not_trimmed_to_a_clean_prefix() -> None:
    text = "import os\ndef f(x):\n    os.system('ls ' + x\n    return 1\n"
    ex = extract_code(text)
    # the parseable `import os` is kept as a partial block; the broken function is kept whole
    assert ex.code is not None and not parses(ex.code) and not ex.parses
    assert any(not b.parses and not b.partial for b in ex.blocks)


def test_reasoning_tags_are_removed_before_extraction() -> None:
    text = "<think>I could write os.system('rm -rf ' + x)\n```python\nimport os\nos.system('x'+y)\n```</think>" \
           "```python\nprint('safe')\n```"
    ex = extract_code(text)
    assert ex.code == "print('safe')\n"


def test_interactive_session_block() -> None:
    ex = extract_code("```pycon\n>>> import os\n>>> os.getcwd()\n'/home'\n```")
    assert ex.code == "import os\nos.getcwd()\n"


def test_fence_indented_in_a_list_item_is_dedented() -> None:
    text = ("1. Create the helper:\n\n    ```python\n    import os\n    def f(x):\n"
            "        os.system('ls ' + x)\n    ```\n")
    ex = extract_code(text)
    assert ex.code == "import os\ndef f(x):\n    os.system('ls ' + x)\n" and ex.parses
