"""Code reads right at every width: its lines never wrap in a laptop window, and on a phone a
wrapped line hangs to the right of its indentation.

Every chapter page is opened in headless Chromium (the fixtures of conftest.py), with every folded
solution and note opened, and its code is measured: the code cells' input and the listings of
the package's code (every highlighted block of the article that is not an output).

- At windows 1200, 1280 and 1440 pixels wide, no line of code of at most 88 characters (the
  limit of tests/test_chapters.py) takes more than one row on the screen: _static/book.css gives
  the article the room. Paragraphs keep a measure of at most 45 em (about 90 characters), and
  the page's "Contents" is either a column beside the article that covers none of it, or a
  drawer that the list button of the article's header opens.
- At a phone's width (390 pixels) code wraps; every wrapped line continues to the right of where
  its text starts (_static/code-lines.js and book.css), the copy button still copies the code
  exactly, and Pygments' colouring is kept, token for token.

A line is measured with the Range API: the rectangles of its characters, grouped by their top,
are the rows it takes. The last tests show that the measurements catch a line that wraps and a
wrapped line that does not hang. DLB_SITE_ROOT may name another book's root, as for every site
test.
"""

from __future__ import annotations

import html
import re

import pytest

from conftest import PAGE_TIMEOUT_MS, browser_page, numbered_chapters, open_site_page

LAPTOP_WIDTHS = (1200, 1280, 1440)
PHONE_WIDTH = 390
HEIGHT = 900
CODE_LINE_LIMIT = 88  # as in tests/test_chapters.py
PROSE_MAX_EM = 45
# Chapters checked at a phone's width: code cells with deep continuation lines (890) and
# listings of the package's code (710).
PHONE_CHAPTERS = ([f for f in numbered_chapters() if re.search(r"/(710|890)_", f)]
                  or numbered_chapters()[:2])

# Opens what a reader can open (folded solutions, notes, details), so that it is measured too.
OPEN_EVERYTHING = """() => {
    document.querySelectorAll('.toggle-hidden').forEach(e => e.classList.remove('toggle-hidden'));
    document.querySelectorAll('details').forEach(d => { d.open = true; });
}"""

# The code blocks of the article, each line measured: its text, its columns, the rows it takes
# on the screen, where its text starts, and where its rows after the first one start; and the
# blocks whose text is wider than the block (it would scroll sideways).
MEASURE_CODE = r"""() => {
    const blocks = [...document.querySelectorAll('article.bd-article div.highlight > pre')]
        .filter(pre => !pre.closest('.cell_output, div.output') && pre.getClientRects().length);
    const lines = [];
    for (const pre of blocks) {
        const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
        const nodes = [];
        let text = '';
        for (let n = walker.nextNode(); n; n = walker.nextNode()) {
            nodes.push([n, text.length]);
            text += n.data;
        }
        const at = offset => {  // the text node holding character `offset`, and where in it
            let lo = 0, hi = nodes.length - 1;
            while (lo < hi) {
                const mid = (lo + hi + 1) >> 1;
                if (nodes[mid][1] <= offset) lo = mid; else hi = mid - 1;
            }
            return [nodes[lo][0], offset - nodes[lo][1]];
        };
        const range = (start, end) => {
            const r = document.createRange();
            r.setStart(...at(start));
            const [node, offset] = at(end - 1);
            r.setEnd(node, offset + 1);
            return r;
        };
        const tolerance = parseFloat(getComputedStyle(pre).fontSize) / 2;
        let start = 0;
        for (const line of text.split('\n')) {
            const end = start + line.length;
            const indent = line.search(/\S/);
            if (indent >= 0) {
                const rects = [...range(start, end).getClientRects()].filter(q => q.width > 0)
                    .sort((a, b) => a.top - b.top);
                const tops = [];
                for (const q of rects) {
                    if (!tops.length || q.top - tops[tops.length - 1] > tolerance) tops.push(q.top);
                }
                const first = range(start + indent, start + indent + 1).getBoundingClientRect();
                const later = rects.filter(q => q.top - tops[0] > tolerance).map(q => q.left);
                lines.push({text: line, columns: line.replace(/\t/g, '        ').length,
                            rows: tops.length, textStart: first.left,
                            textRow: tops.findIndex(t => Math.abs(t - first.top) <= tolerance),
                            continuation: later.length ? Math.min(...later) : null});
            }
            start = end + 1;
        }
    }
    const overflow = blocks.filter(pre => pre.scrollWidth > pre.clientWidth + 1)
        .map(pre => pre.textContent.slice(0, 60));
    return {blocks: blocks.length, lines, overflow};
}"""

# The page's layout around the code: the widest paragraph, in em; where "Contents" is; what of
# the article's container reaches under "Contents" when it is a column.
MEASURE_PAGE = r"""() => {
    const article = document.querySelector('article.bd-article');
    let widest = 0, widestText = '';
    for (const p of article.querySelectorAll('p:not(.admonition-title)')) {
        if (!p.getClientRects().length) continue;
        const em = p.getBoundingClientRect().width / parseFloat(getComputedStyle(p).fontSize);
        if (em > widest) { widest = em; widestText = p.textContent.trim().slice(0, 60); }
    }
    const sidebar = document.getElementById('pst-secondary-sidebar');
    const style = sidebar && getComputedStyle(sidebar);
    const box = sidebar && sidebar.getBoundingClientRect();
    const column = !!sidebar && style.position !== 'fixed' && style.display !== 'none'
        && style.visibility !== 'hidden' && box.width > 0 && box.left < innerWidth;
    const covered = [];
    if (column) {
        const under = '.bd-article-container, .bd-article-container *';
        for (const e of document.querySelectorAll(under)) {
            const r = e.getBoundingClientRect();
            if (r.width > 0 && r.height > 0 && r.right > box.left + 0.5 && r.left < box.right) {
                const name = `${e.tagName.toLowerCase()}.${[...e.classList].slice(0, 2).join('.')}`;
                covered.push(`${name} "${(e.textContent || '').trim().slice(0, 40)}": `
                             + `right ${r.right.toFixed(0)}, Contents from ${box.left.toFixed(0)}`);
                if (covered.length >= 3) break;
            }
        }
    }
    const toggle = document.querySelector('.bd-header-article .secondary-toggle');
    return {widest, widestText, column, covered,
            drawerHidden: !column && (!sidebar || style.display === 'none'
                                      || style.visibility === 'hidden' || box.left >= innerWidth),
            toggleShown: !!toggle && toggle.getClientRects().length > 0};
}"""


@pytest.fixture
def window(browser, request):
    """A page in a browser context of the width asked for (indirect parametrization)."""
    with browser_page(browser, request.param, HEIGHT) as page:
        yield page


def open_chapter(page, server, file):
    open_site_page(page, server, file)
    page.evaluate(OPEN_EVERYTHING)


def wrapped(lines: list[dict]) -> list[dict]:
    """The lines of at most CODE_LINE_LIMIT columns that take more than one row."""
    return [line for line in lines if line["rows"] > 1 and line["columns"] <= CODE_LINE_LIMIT]


def not_hanging(lines: list[dict]) -> list[dict]:
    """Wrapped lines whose text does not start on their first row, or whose later rows do not
    start to the right of where their text starts."""
    return [line for line in lines if line["rows"] > 1 and (
        line["textRow"] != 0 or line["continuation"] is None
        or line["continuation"] <= line["textStart"] + 1)]


# --- laptop widths ------------------------------------------------------------------

@pytest.mark.parametrize("window", LAPTOP_WIDTHS, indirect=True, ids=lambda w: f"{w}px")
def test_no_code_line_wraps_and_prose_keeps_its_measure_at_laptop_widths(window, server):
    width = window.viewport_size["width"]
    chapters = numbered_chapters()
    assert chapters, "_toc.yml lists no numbered chapter"
    problems, measured = [], 0
    for file in chapters:
        open_chapter(window, server, file)
        code = window.evaluate(MEASURE_CODE)
        measured += len(code["lines"])
        if code["overflow"]:
            problems.append(f"{file} at {width} px: code blocks scroll sideways: {code['overflow']}")
        bad = wrapped(code["lines"])
        if bad:
            problems.append(f"{file} at {width} px: {len(bad)} line(s) of code wrap, the first "
                            f"({bad[0]['columns']} characters, {bad[0]['rows']} rows): "
                            f"{bad[0]['text']!r}")
        layout = window.evaluate(MEASURE_PAGE)
        if layout["widest"] > PROSE_MAX_EM:
            problems.append(f"{file} at {width} px: a paragraph {layout['widest']:.1f} em wide "
                            f"(at most {PROSE_MAX_EM}): {layout['widestText']!r}")
        if layout["column"] and layout["covered"]:
            problems.append(f"{file} at {width} px: \"Contents\" covers "
                            + "; ".join(layout["covered"]))
        if not layout["column"] and not (layout["drawerHidden"] and layout["toggleShown"]):
            problems.append(f"{file} at {width} px: \"Contents\" is neither a column nor a hidden "
                            f"drawer with its button shown: {layout}")
        if window.errors:
            problems.append(f"{file} at {width} px: script errors {window.errors}")
            window.errors.clear()
    assert measured > 0, "no line of code was measured: did the selectors stop matching?"
    assert problems == [], "\n".join(problems)


def test_contents_opens_as_a_drawer_where_it_is_not_a_column(browser, server):
    """At 1200 px "Contents" is a drawer: the list button opens it, Escape closes it. The bars
    button opens the chapter list on a phone."""
    file = numbered_chapters()[0]
    for width, button, dialog in [(1200, "secondary-toggle", "pst-secondary-sidebar-modal"),
                                  (PHONE_WIDTH, "primary-toggle", "pst-primary-sidebar-modal")]:
        context = browser.new_context(viewport={"width": width, "height": HEIGHT})
        context.set_default_timeout(PAGE_TIMEOUT_MS)
        page = context.new_page()
        try:
            open_site_page(page, server, file)
            page.locator(f".bd-header-article .{button}").click()
            page.wait_for_function(f"() => document.getElementById('{dialog}').open")
            links = page.locator(f"#{dialog} a")
            assert links.count() > 0 and links.first.is_visible(), (
                f"{dialog} opened empty at {width} px")
            page.keyboard.press("Escape")
            page.wait_for_function(f"() => !document.getElementById('{dialog}').open")
        finally:
            context.close()


# --- a phone's width ----------------------------------------------------------------

# Every highlighted block of the page as the server sent it and as the reader's browser shows
# it: the text, and the Pygments tokens (class and text) in order.
TOKENS = r"""async () => {
    const page = await (await fetch(location.href)).text();
    const sent = new DOMParser().parseFromString(page, 'text/html');
    const tokens = pre => [...pre.querySelectorAll('span')]
        .filter(s => !s.matches('.code-line, .code-indent'))
        .map(s => `${s.className}:${s.textContent}`);
    const describe = pre => ({text: pre.textContent, tokens: tokens(pre), id: pre.id});
    const blocks = doc => [...doc.querySelectorAll('article.bd-article div.highlight > pre')];
    return {sent: blocks(sent).map(describe), shown: blocks(document).map(describe)};
}"""

COPY = """id => document.querySelector(`button.copybtn[data-clipboard-target='#${id}']`).click()"""


@pytest.mark.parametrize("file", PHONE_CHAPTERS)
def test_wrapped_code_hangs_and_copies_exactly_on_a_phone(browser, server, file):
    context = browser.new_context(viewport={"width": PHONE_WIDTH, "height": HEIGHT})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    try:
        open_chapter(page, server, file)
        code = page.evaluate(MEASURE_CODE)
        assert code["overflow"] == [], (
            f"{file} at {PHONE_WIDTH} px: code blocks scroll sideways: {code['overflow']}")
        lines = code["lines"]
        wrapping = [line for line in lines if line["rows"] > 1]
        assert wrapping, f"{file}: no line of code wraps at {PHONE_WIDTH} px, so nothing was checked"
        bad = not_hanging(lines)
        assert bad == [], (f"{file} at {PHONE_WIDTH} px: {len(bad)} wrapped line(s) of code do "
                           f"not hang to the right of their text, the first: {bad[0]}")

        blocks = page.evaluate(TOKENS)
        assert len(blocks["sent"]) == len(blocks["shown"]), f"{file}: code blocks came or went"
        for sent, shown in zip(blocks["sent"], blocks["shown"]):
            block = sent["text"][:80]
            assert shown["text"] == sent["text"], f"{file}: a code block's text changed: {block!r}"
            assert shown["tokens"] == sent["tokens"], f"{file}: a block's colouring changed: {block!r}"

        # The copy button of every block whose lines wrap here copies the code as it was sent
        # (less the last newline, which the copy button always drops).
        copied = 0
        for sent, shown in zip(blocks["sent"], blocks["shown"]):
            if not any(line["text"] in sent["text"] for line in wrapping) or not shown["id"]:
                continue
            page.evaluate("() => navigator.clipboard.writeText('')")
            page.evaluate(COPY, shown["id"])  # ClipboardJS copies at once, on the click
            text = page.evaluate("() => navigator.clipboard.readText()")
            assert text == sent["text"].removesuffix("\n"), (
                f"{file}: the copy button copied {text[:200]!r}, not the code {sent['text'][:200]!r}")
            copied += 1
            if copied == 6:
                break
        assert copied, f"{file}: no copy button was tried"
    finally:
        context.close()


# --- the measurements find what they are meant to find -----------------------------

def test_the_measurements_catch_what_they_are_meant_to_catch(browser, server):
    """A wrapped line, a wrapped line that does not hang, a paragraph too wide, and a block that
    reaches under "Contents"."""
    file = PHONE_CHAPTERS[0]
    context = browser.new_context(viewport={"width": LAPTOP_WIDTHS[0], "height": HEIGHT})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    try:
        open_chapter(page, server, file)
        assert wrapped(page.evaluate(MEASURE_CODE)["lines"]) == []
        # A line of 88 characters that wraps because its block is narrowed, and a line of 150.
        page.evaluate("""() => {
            const pres = document.querySelectorAll('article.bd-article div.cell_input pre');
            pres[0].style.width = '300px';
            pres[0].insertAdjacentText('beforeend', '    ' + 'x = 1; '.repeat(12).slice(0, 84) + '\\n');
            pres[1].insertAdjacentText('beforeend', 'y = [' + '1, '.repeat(48) + ']\\n');
        }""")
        caught = wrapped(page.evaluate(MEASURE_CODE)["lines"])
        assert any(line["columns"] == 88 for line in caught), caught
        long_line = [line for line in page.evaluate(MEASURE_CODE)["lines"] if line["columns"] == 150]
        assert long_line and long_line[0]["rows"] > 1, long_line
        # Wrapped lines that hang; then the same lines with the hanging indent taken away.
        page.set_viewport_size({"width": PHONE_WIDTH, "height": HEIGHT})
        open_chapter(page, server, file)
        lines = page.evaluate(MEASURE_CODE)["lines"]
        assert any(line["rows"] > 1 for line in lines) and not_hanging(lines) == []
        page.add_style_tag(content=".bd-article pre .code-line { padding-left: 0 !important; "
                                   "text-indent: 0 !important; }")
        assert not_hanging(page.evaluate(MEASURE_CODE)["lines"]) != []
        # Where "Contents" is a column: a paragraph as wide as the column, and a block wider.
        page.set_viewport_size({"width": LAPTOP_WIDTHS[-1], "height": HEIGHT})
        open_chapter(page, server, file)
        layout = page.evaluate(MEASURE_PAGE)
        assert layout["column"] and layout["covered"] == [] and layout["widest"] <= PROSE_MAX_EM
        page.evaluate("""() => {
            document.querySelector('article.bd-article section > p').style.maxWidth = 'none';
            document.querySelector('article.bd-article div.cell').style.width = '150%';
        }""")
        layout = page.evaluate(MEASURE_PAGE)
        assert layout["covered"] and layout["widest"] > PROSE_MAX_EM, layout
    finally:
        context.close()


# A highlighted block of a built page, and the class of the div around it ("output ..." for an
# output)
HIGHLIGHTED = re.compile(r'<div class="([^"]*)"><div class="highlight"><pre>(.*?)</pre>', re.S)


def code_lines_too_long(page_html: str) -> list[str]:
    """The lines of a built page's code blocks (outputs left out) longer than CODE_LINE_LIMIT."""
    return [f"{len(line)} characters: {line.strip()[:70]}"
            for around, block in HIGHLIGHTED.findall(page_html) if "output" not in around
            for line in html.unescape(re.sub(r"<[^>]+>", "", block)).split("\n")
            if len(line) > CODE_LINE_LIMIT]


def test_every_line_of_code_shown_in_a_chapter_is_at_most_88_characters(site):
    problems = []
    for file in numbered_chapters():
        long_lines = code_lines_too_long((site / f"{file}.html").read_text())
        problems += [f"{file}: {line}" for line in long_lines]
    assert problems == [], "lines of code wider than the layout's room:\n" + "\n".join(problems)
