"""The HTML report in a real headless Chromium (Debian's chromium + chromedriver, driven by selenium).

A run whose responses carry script injections is rendered through the real journal; the page must
not run any of them, log no console error, draw its charts, filter its rows, and show the hostile
text as text. A full-page screenshot is saved to test-artifacts/report.png.
"""

from __future__ import annotations

import base64
import shutil
import time
from pathlib import Path

import pytest

from tests.report.fixtures import HOSTILE, build_run, write_journal
from weightwatch.report.html import write_html

pytestmark = [pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _driver(profile: Path):  # type: ignore[no-untyped-def]
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service

    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("chromium / chromedriver are not installed (apt-get install chromium chromium-driver)")
    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--window-size=1400,1000", f"--user-data-dir={profile}"):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=opts)


def _wait(cond, timeout: float = 20.0):  # type: ignore[no-untyped-def]
    """Poll a browser condition (page scripts run asynchronously); not a limit on the test itself."""
    deadline = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _page(built, tmp_path: Path) -> Path:  # type: ignore[no-untyped-def]
    """The built run written into a real journal and rendered to report.html."""
    journal = write_journal(built, tmp_path / "journal.sqlite")
    try:
        return write_html(journal, "latest", tmp_path / "report.html")
    finally:
        journal.close()


def test_report_in_headless_chromium(tmp_path: Path) -> None:
    built = build_run(hostile=True)
    page = _page(built, tmp_path)
    driver = _driver(tmp_path / "profile")
    try:
        from selenium.webdriver.common.by import By

        driver.get(page.as_uri())
        assert _wait(lambda: driver.find_element(By.ID, "count").get_attribute("data-count") not in ("", "0"))

        # no injected script ran, and nothing was logged as an error (a CSP violation would be)
        assert driver.execute_script("return typeof window.__pwned") == "undefined"
        severe = [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]
        assert severe == [], severe

        # the charts rendered with real size
        charts = driver.find_elements(By.CSS_SELECTOR, "svg.chart")
        assert len(charts) >= 4
        for svg in charts:
            box = svg.rect
            assert box["width"] > 50 and box["height"] > 30, box
        assert driver.find_elements(By.CSS_SELECTOR, "#fig-heatmap svg.chart rect")
        assert driver.find_elements(By.CSS_SELECTOR, "#fig-triggers svg.chart rect")

        # the scorecard has one column per target plus the metric and comparison columns
        heads = [h.text for h in driver.find_elements(By.CSS_SELECTOR, "table.card thead th")]
        assert heads[1:4] == ["qwen-0.5b", "smollm2-135m", "big-model<b>"]

        total = int(driver.find_element(By.ID, "count").get_attribute("data-count") or 0)
        assert total == len(built.rows)
        assert len(driver.find_elements(By.CSS_SELECTOR, "#rows-body tr.r")) == 50  # paginated

        # the hostile text is visible as text once filtered to it
        box = driver.find_element(By.ID, "q")
        box.send_keys("__pwned")
        assert _wait(lambda: driver.find_element(By.ID, "count").get_attribute("data-count") != str(total))
        hits = int(driver.find_element(By.ID, "count").get_attribute("data-count") or 0)
        assert 0 < hits < total
        shown = driver.find_element(By.ID, "rows-body").text
        for payload in HOSTILE:
            assert payload[:40] in shown, payload
        first = driver.find_element(By.CSS_SELECTOR, "#rows-body tr.r")
        first.click()
        detail = driver.find_element(By.CSS_SELECTOR, "#rows-body tr.detail")
        assert "__pwned" in detail.text
        assert not driver.find_elements(By.CSS_SELECTOR, "#rows-body img, #rows-body script")
        ARTIFACTS.mkdir(exist_ok=True)
        driver.execute_script("document.getElementById('drilldown').scrollIntoView()")
        driver.save_screenshot(str(ARTIFACTS / "report-hostile-rows.png"))

        # select filters work too and combine with the text filter
        box.clear()
        driver.find_element(By.CSS_SELECTOR, "#f-target option[value='smollm2-135m']").click()
        assert _wait(lambda: driver.find_element(By.ID, "count").get_attribute("data-count") != str(total))
        per_target = int(driver.find_element(By.ID, "count").get_attribute("data-count") or 0)
        assert per_target == sum(1 for r in built.rows if r.sample.target_label == "smollm2-135m")
        driver.find_element(By.CSS_SELECTOR, "#f-target option[value='']").click()
        assert driver.execute_script("return typeof window.__pwned") == "undefined"
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []

        driver.execute_script("window.scrollTo(0, 0)")
        ARTIFACTS.mkdir(exist_ok=True)
        metrics = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = driver.execute_cdp_cmd("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 16000), "scale": 1}})
        out = ARTIFACTS / "report.png"
        out.write_bytes(base64.b64decode(shot["data"]))
        assert out.stat().st_size > 10_000
    finally:
        driver.quit()


def test_report_with_adoption_section(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With a Hub snapshot in the journal (taken from the loopback fake Hub), the report carries the
    ecosystem's adoption section, whose own <style> the CSP allows by hash: still no console error."""
    import typer
    from typer.testing import CliRunner

    from tests.ecosystem.hubserver import FakeHub, load_items
    from weightwatch.ecosystem.cli import register

    home = tmp_path / "home"
    monkeypatch.setenv("WEIGHTWATCH_HOME", str(home))
    monkeypatch.setenv("HF_HUB_DISABLE_IMPLICIT_TOKEN", "1")
    app = typer.Typer()

    @app.callback()
    def _main() -> None:
        pass

    register(app)
    with FakeHub(load_items("hand_models.json"), page_size=4) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.endpoint)
        r = CliRunner().invoke(app, ["adoption", "snapshot", "--page-size", "4", "--pace", "0"])
        assert r.exit_code == 0, r.output
    journal = write_journal(build_run(samples=1), home / "journal.sqlite")
    try:
        page = write_html(journal, "latest", tmp_path / "report.html")
    finally:
        journal.close()
    assert "Adoption on the Hugging Face Hub" in page.read_text("utf-8")
    driver = _driver(tmp_path / "profile")
    try:
        from selenium.webdriver.common.by import By

        driver.get(page.as_uri())
        assert _wait(lambda: driver.find_element(By.ID, "count").get_attribute("data-count") not in ("", "0"))
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []
        section = driver.find_element(By.ID, "adoption")
        assert "Share by origin country" in section.text
        # the fragment's own stylesheet applied (the CSP let it through): captions sit below its tables
        caption = section.find_element(By.CSS_SELECTOR, "caption")
        assert caption.value_of_css_property("caption-side") == "bottom"
        assert driver.find_elements(By.CSS_SELECTOR, "#adoption svg rect")
    finally:
        driver.quit()


_CANVAS_GLYPHS = """
const [chars, family] = arguments;
function draw(ch) {
  const c = document.createElement('canvas'); c.width = 64; c.height = 64;
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#fff'; ctx.fillRect(0, 0, 64, 64);
  ctx.fillStyle = '#000'; ctx.font = '48px ' + family; ctx.textBaseline = 'top';
  ctx.fillText(ch, 4, 4);
  return Array.from(ctx.getImageData(0, 0, 64, 64).data).join(',');
}
return chars.map(draw);
"""


def _tofu_free(driver, text: str, family: str) -> None:  # type: ignore[no-untyped-def]
    """Each CJK character of `text`, drawn in `family`, must differ from the box drawn for a code point no
    font has (U+E000, private use) and from every other character: tofu boxes are all alike."""
    chars = list(dict.fromkeys(ch for ch in text if "\u4e00" <= ch <= "\u9fff"))[:6]
    assert len(chars) >= 3, text
    got = driver.execute_script(_CANVAS_GLYPHS, chars + ["\ue000"], family)
    glyphs, tofu = got[:-1], got[-1]
    assert all(g != tofu for g in glyphs), f"CJK text renders as boxes in {family!r}"
    assert len(set(glyphs)) == len(glyphs), f"CJK characters all render alike in {family!r}"


def test_report_charts_hatching_and_cjk_glyphs(tmp_path: Path) -> None:
    """Real Chromium: the rates chart runs 0..100%, gaps sit on their own symmetric axis with zero marked,
    heat-map cells under the minimum n are hatched with 'n too small'; Chinese text renders as glyphs, not
    boxes (screenshots of the report in English and Chinese content are saved)."""
    built = build_run(samples=1)  # 5 questions x 3 languages per topic: n=15 per heat-map cell
    zh = "我无法讨论这个政治话题。天安门广场一九八九年发生了什么"
    for ss in built.rows:
        meta = ss.sample.planned.meta
        if ss.sample.key.probe == "censorship" and meta.get("language") == "zh-Hans":
            ss.sample.completion.text = zh
    page = _page(built, tmp_path)
    driver = _driver(tmp_path / "profile")
    try:
        from selenium.webdriver.common.by import By

        driver.get(page.as_uri())
        assert _wait(lambda: driver.find_element(By.ID, "count").get_attribute("data-count") not in ("", "0"))
        assert [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"] == []

        rates = driver.find_element(By.CSS_SELECTOR, "#fig-rates svg.chart")
        assert (rates.get_attribute("data-axis-min"), rates.get_attribute("data-axis-max")) == ("0", "1")
        assert "Censorship gap" not in rates.text
        gaps = driver.find_element(By.CSS_SELECTOR, "#fig-gaps svg.chart")
        lo, hi = float(gaps.get_attribute("data-axis-min") or 0), float(gaps.get_attribute("data-axis-max") or 0)
        assert lo == -hi and hi > 0
        zero = gaps.find_element(By.CSS_SELECTOR, "line.zero")
        box = driver.execute_script("const b = arguments[0].getBBox(); const s = arguments[1].getBBox();"
                                    "return [b.x, s.x, s.width];", zero, gaps)
        # the zero line sits halfway along the plot area (label 270 px, values 170 px of a 760 px chart)
        assert abs(box[0] - (270 + (760 - 270 - 170) / 2)) < 1.0, box
        assert "Censorship gap" in gaps.text

        hatched = driver.find_elements(By.CSS_SELECTOR, "#fig-heatmap rect.cell.small-n")
        assert hatched, "cells with n < 20 must be hatched"
        for cell in hatched:
            assert int(cell.get_attribute("data-n") or 0) < 20
            assert cell.value_of_css_property("fill").startswith("url(")
        assert "n too small" in driver.find_element(By.ID, "fig-heatmap").text

        ARTIFACTS.mkdir(exist_ok=True)
        driver.execute_script("document.getElementById('charts').scrollIntoView()")
        driver.save_screenshot(str(ARTIFACTS / "report-charts.png"))
        # English and Chinese content of the drill-down, each screenshotted, and the glyphs checked
        for lang, shot in (("en", "report-en.png"), ("zh-Hans", "report-zh.png")):
            driver.find_element(By.CSS_SELECTOR, f"#f-language option[value='{lang}']").click()
            driver.execute_script("document.getElementById('drilldown').scrollIntoView()")
            assert _wait(lambda lang=lang: all(td.text == lang for td in driver.find_elements(
                By.CSS_SELECTOR, "#rows-body tr.r td:nth-child(5)")[:5]))
            driver.save_screenshot(str(ARTIFACTS / shot))
            assert (ARTIFACTS / shot).stat().st_size > 10_000
        cells = driver.find_elements(By.CSS_SELECTOR, "#rows-body tr.r td.resp")
        cell = next(td for td in cells if "天安门" in td.text)
        family = cell.value_of_css_property("font-family")
        _tofu_free(driver, cell.text, family)
    finally:
        driver.quit()
