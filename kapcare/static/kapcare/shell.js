// The app shell: "/" moves the focus to the patient search (as on GitHub and Gmail),
// unless the person is typing in a field, where "/" is just a character.
(function () {
  "use strict";
  function isTyping(target) {
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    const search = document.getElementById("global-patient-search");
    if (!search) return;
    if (search.offsetParent === null) {
      // On a phone the menu is folded: open it first so the field can take the focus.
      const menu = document.getElementById("main-menu");
      if (menu && window.bootstrap) window.bootstrap.Collapse.getOrCreateInstance(menu).show();
    }
    event.preventDefault();
    search.focus();
  });
})();

// The in-page index (templates/_page_index.html): a link to each section heading of main.
(function () {
  "use strict";
  function slug(text, used) {
    let base = "section-" + text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
    let id = base;
    for (let n = 2; used.has(id) || document.getElementById(id); n += 1) id = base + "-" + n;
    used.add(id);
    return id;
  }
  function build(index) {
    const list = index.querySelector("ol");
    const used = new Set();
    const headings = Array.from(document.querySelectorAll("main h2")).filter(function (h) {
      return !index.contains(h) && h.offsetParent !== null;
    });
    if (headings.length < 3) return;
    headings.forEach(function (heading) {
      if (!heading.id) heading.id = slug(heading.textContent.trim(), used);
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "#" + heading.id;
      link.textContent = heading.textContent.trim();
      item.append(link);
      list.append(item);
    });
    index.hidden = false;
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-page-index]").forEach(build);
  });
})();
