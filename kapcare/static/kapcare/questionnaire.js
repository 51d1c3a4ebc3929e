/* Hide the C-SSRS follow-up questions until the answer that opens them is yes. Without
   JavaScript they stay visible with their hint, and the server leaves them out. */
document.querySelectorAll("form.questionnaire").forEach(function (form) {
  function update() {
    form.querySelectorAll("fieldset[data-only-if-yes-to]").forEach(function (fieldset) {
      var opener = form.querySelector("fieldset#item_" + fieldset.dataset.onlyIfYesTo);
      var yes = form.querySelector('input[name="item_' + fieldset.dataset.onlyIfYesTo + '"][value="yes"]');
      var asked = yes && yes.checked && !(opener && opener.hidden);
      fieldset.hidden = !asked && !fieldset.classList.contains("current");
    });
  }
  form.addEventListener("change", update);
  update();
});
