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

  // On a phone every table with column headers becomes a card per row (kapcare.css,
  // `table.stacks`, below 576 px): each cell is named after its column (its `data-label`,
  // unless the template set one), with or without a <thead>, and the table's roles are stated
  // so that a screen reader still reads a table once the CSS lays the rows out as blocks.
  // The row of column headers: the head's, or (a table written without <thead>) a first
  // row made only of <th> cells.
  function headerRow(table) {
    var head = table.querySelector("thead tr");
    if (head) return head;
    var first = table.querySelector("tr");
    if (!first || first.children.length < 2) return null;
    var allHeaders = Array.prototype.every.call(first.children, function (cell) {
      return cell.tagName === "TH";
    });
    return allHeaders ? first : null;
  }

  function stack(table, head) {
    var headers = [];
    Array.prototype.forEach.call(head.children, function (th) {
      for (var i = 0; i < (th.colSpan || 1); i++) headers.push(th.textContent.trim());
    });
    table.setAttribute("role", "table");
    table.querySelectorAll("thead, tbody, tfoot").forEach(function (group) {
      group.setAttribute("role", "rowgroup");
    });
    Array.prototype.forEach.call(head.children, function (th) {
      th.setAttribute("role", "columnheader");
    });
    head.classList.add("stacks-head");
    table.querySelectorAll("tr").forEach(function (row) {
      row.setAttribute("role", "row");
      if (row === head) return;
      var column = 0;
      Array.prototype.forEach.call(row.children, function (cell) {
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
      var head = headerRow(table);
      if (head) stack(table, head);
    });
  }

  document.addEventListener("DOMContentLoaded", function () { stackAll(); update(); });
  document.addEventListener("htmx:afterSettle", function () { stackAll(); update(); });
  window.addEventListener("resize", update);
})();
