/*
 * kapcare: draws the live chart of a dosing session's vital signs (the record page's
 * Vital signs part).
 *
 * Uses the vendored Chart.js 4.6.1 UMD build (vendor/chart-4.6.1.umd.min.js). No inline
 * script: the data comes as JSON in the element "vitals-chart-data" (Django's json_script).
 * htmx replaces the live part when a reading arrives (every 15 s it asks whether anything
 * changed), and the whole vitals part when a reading is saved from the bedside form; the
 * chart is then drawn again from the new data, the old one destroyed.
 *
 * The canvas carries role="img" and an aria-label; the readings table under it is the
 * accessible equivalent, with the values out of range marked in words.
 */
(function () {
  "use strict";

  // One line style per vital, so the lines differ by more than colour.
  var STYLES = {
    hr: { color: "#b3261e", dash: [], point: "circle" },
    sbp: { color: "#0b5cad", dash: [], point: "triangle" },
    dbp: { color: "#0b5cad", dash: [6, 4], point: "rectRot" },
    spo2: { color: "#1e7b34", dash: [2, 3], point: "rect" },
    rr: { color: "#6b4fa0", dash: [10, 3, 2, 3], point: "star" }
  };
  var GRID = "#c9d0d8"; // --line in kapcare.css
  var current = null;

  function draw() {
    var source = document.getElementById("vitals-chart-data");
    // Found by a data attribute, not an id: htmx carries the attributes of an element
    // with the same id over a swap (its "settle"), which would copy the style Chart.js
    // set on the old canvas as an inline style attribute — refused by the page's CSP.
    var canvas = document.querySelector("canvas[data-vitals-chart]");
    if (!source || !canvas || typeof window.Chart === "undefined") {
      return;
    }
    if (canvas.getAttribute("data-drawn") === "yes") {
      return;
    }
    if (current) {
      current.destroy();
      current = null;
    }
    canvas.setAttribute("data-drawn", "yes");
    var data = JSON.parse(source.textContent);
    current = new window.Chart(canvas, {
      type: "line",
      data: {
        labels: data.labels,
        datasets: data.series.map(function (series) {
          var style = STYLES[series.key] || { color: "#333", dash: [], point: "circle" };
          return {
            label: series.label,
            data: series.values,
            borderColor: style.color,
            backgroundColor: style.color,
            borderDash: style.dash,
            pointStyle: style.point,
            pointRadius: 4,
            spanGaps: true,
            tension: 0
          };
        })
      },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: window.innerWidth < 600 ? 1.5 : 2.5, // taller on a phone
        scales: {
          y: { min: 0, grid: { color: GRID } },
          x: { grid: { display: false } }
        },
        plugins: { legend: { labels: { usePointStyle: true } } }
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
  document.addEventListener("htmx:afterSettle", draw);

  // A reading posted from the bedside form answers the vitals part alone. A refused one
  // comes back as 422 with the messages at the fields: swap it in too (htmx leaves error
  // answers out by default), so nothing typed is lost.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "vitals-part" && event.detail.xhr.status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // After the swap, focus goes where the clinician looks next: a new alert, the first
  // field with a message, or the first value of the next reading.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var part = document.getElementById("vitals-part");
    if (!part || !target || target.id !== "vitals-part") {
      return;
    }
    var next =
      document.getElementById("vitals-new-alerts") ||
      part.querySelector(".has-error input, .has-error select") ||
      document.getElementById("vitals_hr");
    if (next) {
      next.focus();
    }
  });
})();
