"""A Sphinx extension with fixes the book needs from its toolchain.

Exercises are numbered after their chapter: the first exercise of chapter 210
is "Exercise 210.1", in its title, its solution and every reference to it.
sphinx-exercise numbers them like figures, and as the book's chapters are not
numbered sections, that numbering ran through the whole book (1, 2, 3 in
chapter 110, then 4, 5, 6 in chapter 210).

sphinx-thebe 0.3.1 registers its inline configuration script once per read
of the environment, and jupyter-book reads it twice, so every page declared
``const THEBE_JS_URL`` twice and the browser reported a JavaScript error on
each page. Dropping repeated scripts (the same file, or the same inline body,
which Sphinx records once with the name None and once with "") from each
page's context removes it.

Two buttons of the theme's header had accessible names that do not contain
their visible text, which screen-reader and speech-control users rely on
(axe-core's rule label-content-name-mismatch): the search field, labelled
"Search" while it shows "Search Ctrl+K", and the colour-mode switch, whose
icons carry titles ("Light", "Dark", "System Settings") that are not its label
"Color mode". Once the site is written, the search button takes its name from
its text, and the switch's icons are marked as decoration.
"""

from __future__ import annotations

import re
from pathlib import Path

CHAPTER_NUMBER = re.compile(r"(?:^|/)(\d{3})_[^/]*$")


def number_exercises_by_chapter(app, env) -> list[str]:
    """Renumber each chapter's exercises (chapter, 1), (chapter, 2), ... in page order."""
    env.dlb_sphinx_exercise_numbers = {}
    for docname, numbers in env.toc_fignumbers.items():
        match = CHAPTER_NUMBER.search(docname)
        exercises = numbers.get("exercise")
        if not match or not exercises:
            continue
        env.dlb_sphinx_exercise_numbers[docname] = dict(exercises)
        in_order = sorted(exercises, key=lambda node_id: exercises[node_id])
        for position, node_id in enumerate(in_order, start=1):
            exercises[node_id] = (int(match.group(1)), position)
    return []


def restore_sphinx_exercise_numbers(app, env) -> list[str]:
    """Give Sphinx back its own numbers from the last build before it compares them.

    Sphinx rewrites every page whose figure numbers differ from the last build's;
    without this, the renumbering above looked like a change on every page, and a
    build with nothing changed rewrote every chapter.
    """
    for docname, exercises in getattr(env, "dlb_sphinx_exercise_numbers", {}).items():
        numbers = env.toc_fignumbers.get(docname)
        if numbers is not None and "exercise" in numbers:
            numbers["exercise"] = dict(exercises)
    return []


def _script_key(script) -> tuple:
    filename = getattr(script, "filename", script) or ""  # inline scripts come as None or ""
    attributes = getattr(script, "attributes", {})
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def drop_repeated_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


# (pattern, replacement) pairs applied to every HTML page the builder wrote.
ACCESSIBLE_NAME_FIXES = [
    # The search field shows its label: let that text be its name.
    (re.compile(r'(<button class="btn search-button-field [^"]*"[^>]*?) aria-label="Search"'), r"\1"),
    # The colour-mode icons are decoration; the button's label is "Color mode".
    (re.compile(r'(<i class="theme-switch [^"]*" data-mode="[\w-]+")\s+title="[^"]*"'),
     r'\1 aria-hidden="true"'),
]


def fix_accessible_names(html: str) -> str:
    for pattern, replacement in ACCESSIBLE_NAME_FIXES:
        html = pattern.sub(replacement, html)
    return html


def fix_accessible_names_in_pages(app, exception) -> None:
    if exception is not None or app.builder.format != "html":
        return
    for page in Path(app.outdir).rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        fixed = fix_accessible_names(html)
        if fixed != html:
            page.write_text(fixed, encoding="utf-8")


def setup(app):
    # After Sphinx assigned figure numbers (its own listener has priority 500).
    app.connect("env-get-updated", restore_sphinx_exercise_numbers, priority=100)
    app.connect("env-get-updated", number_exercises_by_chapter, priority=900)
    app.connect("html-page-context", drop_repeated_scripts)
    app.connect("build-finished", fix_accessible_names_in_pages)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
