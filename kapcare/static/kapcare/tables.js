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

  // On a phone a table with column headers becomes a card per row (kapcare.css,
  // `table.stacks`): each cell is named after its column, and the table's roles are stated
  // so that a screen reader still reads a table once the CSS lays the rows out as blocks.
  function stack(table) {
    var headers = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
      return th.textContent.trim();
    });
    table.setAttribute("role", "table");
    table.querySelectorAll("thead, tbody, tfoot").forEach(function (group) {
      group.setAttribute("role", "rowgroup");
    });
    table.querySelectorAll("thead th").forEach(function (th) {
      th.setAttribute("role", "columnheader");
    });
    table.querySelectorAll("tr").forEach(function (row) {
      row.setAttribute("role", "row");
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
        if (cell.closest("thead")) return;
        if (cell.tagName === "TH") {
          cell.setAttribute("role", "rowheader");
        } else {
          cell.setAttribute("role", "cell");
          if (!cell.hasAttribute("data-label")) cell.dataset.label = headers[column] || "";
        }
        column += cell.colSpan || 1;
      });
    });
    table.classList.add("stacks");
  }

  function stackAll() {
    document.querySelectorAll("main table:not(.keep-table):not(.stacks)").forEach(function (table) {
      if (table.querySelector("thead th")) stack(table);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { stackAll(); update(); });
  document.addEventListener("htmx:afterSettle", function () { stackAll(); update(); });
  window.addEventListener("resize", update);
})();
