/* The patient's pages: small behaviours, no library, nothing inline (the CSP refuses it).
   - A crisis box (section[data-crisis-item]) shows as soon as its question is answered
     above 0 ("Not at all"), before the answers are sent; also when the page opens with
     such an answer already saved.
   - A print button (button[data-print], hidden until this script runs) prints the page. */
(function () {
  document.querySelectorAll("section[data-crisis-item]").forEach(function (box) {
    var form = box.closest("form") || document;
    var name = box.dataset.crisisItem;
    function update() {
      var chosen = form.querySelector('input[name="' + name + '"]:checked');
      box.hidden = !(chosen && chosen.value !== "" && chosen.value !== "0");
    }
    form.addEventListener("change", update);
    update();
  });
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
