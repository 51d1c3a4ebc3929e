// The dose arithmetic, shown as the clinician types (dosing/_dose.html): "0.5 mg/kg ×
// 72.4 kg = 36.2 mg", and whether it goes above the clinic's maximum for the route. Only a
// preview: the server computes the dose again when the prescription is saved
// (dosing/dose/rules.py). The same sum as there — exact decimals, rounded half up to
// 0.1 mg — done on integers (BigInt), never in binary floating point.
(function () {
  "use strict";
  const DECIMAL = /^\s*(\d+)(?:\.(\d+))?\s*$/;

  function parse(text) {
    const match = DECIMAL.exec(text || "");
    if (!match) return null;
    const fraction = match[2] || "";
    return { digits: BigInt(match[1] + fraction), places: fraction.length };
  }

  function tenths(mgPerKg, weight) {
    // (a / 10^p) × (b / 10^q) in tenths of a mg, rounded half up.
    const places = mgPerKg.places + weight.places;
    const product = mgPerKg.digits * weight.digits * 10n;
    const scale = 10n ** BigInt(places);
    return (product * 2n + scale) / (scale * 2n);
  }

  function show(tenthsOfMg) {
    return (tenthsOfMg / 10n).toString() + "." + (tenthsOfMg % 10n).toString();
  }

  function update(form) {
    const output = form.querySelector("[data-dose-output]");
    const weight = parse(form.dataset.weightKg);
    const mgPerKg = parse((form.querySelector("[name=mg_per_kg]") || {}).value);
    if (!output) return;
    if (!weight || !mgPerKg) {
      output.textContent = weight ? "" : "No weight recorded: the dose cannot be worked out yet.";
      return;
    }
    const dose = tenths(mgPerKg, weight);
    let text = `${form.querySelector("[name=mg_per_kg]").value.trim()} mg/kg × ${form.dataset.weightKg} kg = ${show(dose)} mg`;
    const route = (form.querySelector("[name=route]") || {}).value;
    const cap = form.querySelector(`[data-dose-cap="${route}"]`);
    if (cap) {
      const maxPerKg = parse(cap.dataset.maxMgPerKg);
      const maxTotal = parse(cap.dataset.maxTotalMg);
      const above = [];
      if (maxPerKg && mgPerKg.digits * 10n ** BigInt(maxPerKg.places) > maxPerKg.digits * 10n ** BigInt(mgPerKg.places)) {
        above.push(`above the maximum of ${cap.dataset.maxMgPerKg} mg/kg`);
      }
      if (maxTotal && dose * 10n ** BigInt(maxTotal.places) > maxTotal.digits * 10n ** 1n) {
        above.push(`above the maximum total of ${cap.dataset.maxTotalMg} mg`);
      }
      if (above.length) text += ` — ${above.join(" and ")} for this route: a reason is needed.`;
    }
    output.textContent = text;
  }

  document.addEventListener("input", function (event) {
    const form = event.target.closest && event.target.closest("form[data-dose-arithmetic]");
    if (form) update(form);
  });
  document.addEventListener("change", function (event) {
    const form = event.target.closest && event.target.closest("form[data-dose-arithmetic]");
    if (form) update(form);
  });
  function all() { document.querySelectorAll("form[data-dose-arithmetic]").forEach(update); }
  document.addEventListener("DOMContentLoaded", all);
  document.addEventListener("htmx:afterSettle", all);
})();
