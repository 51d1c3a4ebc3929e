// A table wider than the screen scrolls sideways inside its `.table-scroll` box. A box
// holding nothing focusable cannot be scrolled by keyboard (WCAG 2.1.1; axe's
// "scrollable-region-focusable"), so while it overflows it becomes a focusable region
// named after the table's caption. Templates that set tabindex themselves are left alone.
(function () {
  "use strict";

  function label(box) {
    var caption = box.querySelector("caption");
    var text = caption ? caption.textContent.trim() : "";
    return text || "Table";
  }

  function update() {
    document.querySelectorAll(".table-scroll").forEach(function (box) {
      if (box.dataset.scrollFocus === undefined && box.hasAttribute("tabindex")) {
        return; // set in the template
      }
      if (box.scrollWidth > box.clientWidth) {
        box.dataset.scrollFocus = "";
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", label(box));
      } else if (box.dataset.scrollFocus !== undefined) {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
        delete box.dataset.scrollFocus;
      }
    });
  }

  document.addEventListener("DOMContentLoaded", update);
  document.addEventListener("htmx:afterSettle", update);
  window.addEventListener("resize", update);
})();
