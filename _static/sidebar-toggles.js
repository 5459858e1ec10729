/* The sidebar buttons of the article's header open their sidebars.

   pydata-sphinx-theme 0.17 listens to the first .primary-toggle and the first
   .secondary-toggle of a page: those of its own navigation bar, which
   sphinx-book-theme 1.3 hides. The buttons a reader sees are the second ones,
   in the article's header, and nothing listens to them, so neither the book's
   chapter list (the bars button, on a phone) nor the page's "Contents" (the
   list button, below 88 rem; see book.css) would open. A click on one of them
   is handed to the button the themes listen to. */
(() => {
  "use strict";

  document.addEventListener("click", event => {
    for (const kind of ["primary-toggle", "secondary-toggle"]) {
      const clicked = event.target.closest && event.target.closest(`.${kind}`);
      if (!clicked) continue;
      const listened = document.querySelector(`.${kind}`);
      if (listened && clicked !== listened) {
        event.preventDefault();
        event.stopImmediatePropagation();  // so that it is never handled twice
        listened.click();
      }
      return;
    }
  }, true);
})();
