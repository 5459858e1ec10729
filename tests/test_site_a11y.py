"""The built site can be read by everyone: an accessibility audit, and no sideways scrolling.

Every page of _toc.yml is opened in headless Chromium (the fixtures of
conftest.py) and checked:

- axe-core (through axe-playwright-python) finds no violation of impact
  "serious" or "critical": images without a text alternative, buttons or links
  without an accessible name, too little contrast, and the like, and also
  controls whose accessible name does not contain their visible text
  (label-content-name-mismatch, a rule axe-core runs only when asked);
- at a window 1200 pixels wide, with every folded solution and note opened,
  nothing in the main column is wider than the column: no code block, output,
  equation or table needs a horizontal scroll bar, and the column itself does
  not scroll; every figure has alt text that is not a file name.

DLB_SITE_ROOT may name another book's root, as for every site test.
"""

from __future__ import annotations

import re

import pytest

from conftest import PAGE_TIMEOUT_MS, open_site_page, toc_files

WINDOW = {"width": 1200, "height": 900}
REPORTED_IMPACTS = {"serious", "critical"}

# Opens what a reader can open (folded solutions, notes, details), so that it is measured too.
OPEN_EVERYTHING = """() => {
    document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    document.querySelectorAll('details').forEach(d => { d.open = true; });
}"""

# Elements of the main column that are wider than the room they have: what they are and by how much.
TOO_WIDE = r"""() => {
    const main = document.querySelector('main');
    const found = [];
    const column = main.getBoundingClientRect();
    const describe = e => {
        const cls = typeof e.className === 'string' ? e.className.split(' ').slice(0, 2).join('.') : '';
        const text = (e.innerText || e.getAttribute('aria-label') || '').replace(/\s+/g, ' ').trim();
        return `${e.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text.slice(0, 50)}"`;
    };
    const reported = [];
    for (const e of main.querySelectorAll('*')) {
        if (!e.offsetParent && e.tagName !== 'MJX-CONTAINER') continue;  // not displayed
        if (reported.some(r => r.contains(e))) continue;  // inside what is already reported
        const style = getComputedStyle(e);
        const scrolls = ['auto', 'scroll'].includes(style.overflowX) && e.scrollWidth > e.clientWidth + 1;
        const box = e.getBoundingClientRect();
        const sticksOut = box.width > 0 && box.right > column.right + 1;
        if (scrolls || sticksOut) {
            reported.push(e);
            found.push(`${describe(e)}: ${Math.max(e.scrollWidth, box.width)}px in ${e.clientWidth}px`);
        }
    }
    if (main.scrollWidth > main.clientWidth + 1) found.push(`main: ${main.scrollWidth}px in ${main.clientWidth}px`);
    return found;
}"""


@pytest.fixture
def wide_page(browser):
    context = browser.new_context(viewport=WINDOW)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def open_page(page, server, site, file):
    assert (site / f"{file}.html").is_file(), f"{file} is listed in _toc.yml but was not built"
    open_site_page(page, server, file)


AXE_OPTIONS = {"resultTypes": ["violations"],
               "rules": {"label-content-name-mismatch": {"enabled": True}}}


def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    return [f"{v['id']} ({v['impact']}): {v['help']}; {len(v['nodes'])} element(s), e.g. "
            f"{v['nodes'][0]['target']} {v['nodes'][0].get('failureSummary', '')[:200]}"
            for v in results.response["violations"] if v["impact"] in REPORTED_IMPACTS]


@pytest.mark.parametrize("file", toc_files())
def test_the_accessibility_audit_finds_no_serious_violation(wide_page, server, site, file):
    open_page(wide_page, server, site, file)
    violations = serious_violations(wide_page)
    assert violations == [], f"{file}:\n" + "\n".join(violations)


@pytest.mark.parametrize("file", toc_files())
def test_nothing_in_the_main_column_scrolls_sideways_at_1200_pixels(wide_page, server, site, file):
    open_page(wide_page, server, site, file)
    wide_page.evaluate(OPEN_EVERYTHING)
    too_wide = wide_page.evaluate(TOO_WIDE)
    assert too_wide == [], f"{file}: too wide for the column at 1200 pixels:\n" + "\n".join(too_wide)


@pytest.mark.parametrize("file", toc_files())
def test_every_image_has_alt_text_that_is_not_a_file_name(wide_page, server, site, file):
    open_page(wide_page, server, site, file)
    alts = wide_page.eval_on_selector_all("main img", "imgs => imgs.map(i => i.getAttribute('alt'))")
    bad = [alt for alt in alts if not alt or re.search(r"\.(png|jpe?g|svg|gif)$|_images/", alt)]
    assert bad == [], f"{file}: images whose alt text is missing or a file name: {bad}"


# --- the checks find what they are meant to find -----------------------------------

COUNTEREXAMPLE = """<!doctype html><html lang="en"><head><title>t</title></head><body>
<main style="width: 600px">
  <h1>Counterexample</h1>
  <pre style="overflow-x: auto">{line}</pre>
  <img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" alt="../_images/a.png">
  <button aria-label="Print">Download</button>
</main></body></html>"""


def test_the_checks_catch_a_wide_block_and_a_mislabelled_button(wide_page):
    wide_page.set_content(COUNTEREXAMPLE.format(line="x" * 300))
    too_wide = wide_page.evaluate(TOO_WIDE)
    assert any(entry.startswith("pre") for entry in too_wide), too_wide
    violations = serious_violations(wide_page)
    assert any(v.startswith("label-content-name-mismatch") for v in violations), violations

    wide_page.set_content(COUNTEREXAMPLE.format(line="short").replace('aria-label="Print"', ""))
    assert wide_page.evaluate(TOO_WIDE) == []
    assert serious_violations(wide_page) == []
