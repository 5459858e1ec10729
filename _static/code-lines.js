/* Code that wraps keeps its indentation readable.

   Each line of a code block becomes a block of its own (span.code-line) whose
   wrapped continuation hangs 4 characters to the right of the line's own
   indentation (book.css). At laptop widths the book's code lines fit and
   nothing wraps; in a narrow window a wrapped line no longer looks like a new
   line starting at the wrong indentation.

   A line's leading spaces are put in span.code-indent, which never wraps: a
   line whose first word is too long for the rest of the row still starts on
   its first row, at its indentation. In a line indented more than DEEP columns
   (the continuation of a bracket, in practice) book.css narrows them when the
   line wraps, so that the line keeps room for its text in a phone-wide block.

   The text of a block is unchanged, character for character, newlines
   included: the copy button copies a block's text, so it still copies exactly
   the code. Pygments' colouring spans are kept; a span that holds a newline is
   cut in two, one piece on each line. */
(() => {
  "use strict";

  const BLOCKS = "article.bd-article div.highlight > pre";
  const TAB = 8;  // a tab advances to the next multiple of 8 columns, as in a pre
  const DEEP = 16;  // four levels of Python blocks: deeper lines are narrowed when they wrap

  // The content of `node` cut at its newlines: one fragment per line, each
  // newline kept at the end of its line's fragment. Elements are copied
  // (without their children) into every fragment that holds part of them.
  function cut(node) {
    if (node.nodeType === Node.TEXT_NODE) {
      const parts = node.data.split("\n");
      return parts.map((part, i) => {
        const piece = document.createDocumentFragment();
        const text = i < parts.length - 1 ? part + "\n" : part;
        if (text) piece.append(text);
        return piece;
      });
    }
    if (node.nodeType !== Node.ELEMENT_NODE) return [document.createDocumentFragment()];
    const pieces = cutChildren(node);
    return pieces.map((piece, i) => {
      const wrapped = document.createDocumentFragment();
      if (piece.childNodes.length || (i === 0 && !node.childNodes.length)) {
        const copy = node.cloneNode(false);
        copy.append(piece);
        wrapped.append(copy);
      }
      return wrapped;
    });
  }

  function cutChildren(element) {
    const pieces = [document.createDocumentFragment()];
    for (const child of Array.from(element.childNodes)) {
      const [first, ...rest] = cut(child);
      pieces[pieces.length - 1].append(first);
      pieces.push(...rest);
    }
    return pieces;
  }

  // The columns a line takes: all of it, its indentation, and its first word.
  function measure(text) {
    let columns = 0, indent = null, first = null;
    for (const c of text) {
      if (c === " " || c === "\t") {
        if (indent !== null && first === null) first = columns - indent;
        columns += c === "\t" ? TAB - (columns % TAB) : 1;
      } else {
        if (indent === null) indent = columns;
        columns += 1;
      }
    }
    if (indent === null) indent = columns;
    if (first === null) first = columns - indent;
    return {length: columns, indent, first};
  }

  // Puts the leading spaces of `line` into span.code-indent, one for each text
  // node they are in.
  function markIndentation(line) {
    const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
    const texts = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) texts.push(node);
    for (const node of texts) {
      const blank = node.data.match(/^ */)[0].length;
      if (blank === 0) break;
      const whole = blank === node.data.length;
      if (!whole) node.splitText(blank);  // `node` keeps the spaces
      const span = document.createElement("span");
      span.className = "code-indent";
      node.replaceWith(span);
      span.append(node);
      if (!whole) break;
    }
  }

  function splitIntoLines(pre) {
    if (pre.querySelector(":scope > .code-line")) return;  // done already
    const before = pre.textContent;
    const original = Array.from(pre.childNodes);  // cut() copies, it does not move
    const pieces = cutChildren(pre);
    // What follows the last newline is usually nothing: no line of its own.
    if (pieces.length > 1 && !pieces[pieces.length - 1].textContent) pieces.pop();
    const lines = pieces.map(piece => {
      const line = document.createElement("span");
      line.className = "code-line";
      line.append(piece);
      const {length, indent, first} = measure(line.textContent.replace(/\n$/, ""));
      line.style.setProperty("--indent", indent);
      if (/^ +\S/.test(line.textContent)) {  // indented with spaces: a column each
        markIndentation(line);
        if (indent > DEEP) {
          line.classList.add("code-line-deep");
          line.style.setProperty("--length", length);
          line.style.setProperty("--first", first);
        }
      }
      return line;
    });
    pre.replaceChildren(...lines);
    if (pre.textContent !== before) {  // never change what the copy button copies
      pre.replaceChildren(...original);
      console.warn("code-lines.js: left a code block as it was", pre);
    }
  }

  function run() {
    document.querySelectorAll(BLOCKS).forEach(splitIntoLines);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", run);
  else run();
})();
