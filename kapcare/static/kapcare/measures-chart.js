/*
 * kapcare: draws the patient chart's measures charts (the Measures section).
 *
 * Uses the vendored Chart.js 4.6.1 UMD build (vendor/chart-4.6.1.umd.min.js, from the npm
 * package chart.js@4.6.1, MIT licence; its sourceMappingURL line removed as the map is not
 * shipped). No inline script: the data comes from the page as JSON (Django's json_script,
 * element "measures-chart-data"), so a strict Content-Security-Policy can forbid inline JS.
 *
 * Each canvas carries role="img" and an aria-label; the table under it is the accessible
 * equivalent, so nothing here is the only way to read a result.
 */
(function () {
  "use strict";

  var LINE = "#0b5cad"; // --accent in kapcare.css
  var GRID = "#c9d0d8"; // --line

  function draw(series) {
    var canvas = document.getElementById(series.canvas_id);
    if (!canvas || canvas.getAttribute("data-drawn") === "yes") {
      return;
    }
    canvas.setAttribute("data-drawn", "yes");
    new window.Chart(canvas, {
      type: "line",
      data: {
        labels: series.labels,
        datasets: [{
          label: series.label,
          data: series.totals,
          borderColor: LINE,
          backgroundColor: LINE,
          pointRadius: 4,
          pointHoverRadius: 6,
          tension: 0
        }]
      },
      options: {
        animation: false,
        responsive: true,
        aspectRatio: 3,
        scales: {
          y: {
            min: 0,
            max: series.maximum,
            title: { display: true, text: "Total" },
            grid: { color: GRID },
            // Grid lines at the instrument's band boundaries (e.g. PHQ-9 5, 10, 15, 20).
            afterBuildTicks: function (axis) {
              axis.ticks = series.ticks.map(function (value) { return { value: value }; });
            }
          },
          x: { grid: { display: false } }
        },
        plugins: {
          legend: { display: false },
          tooltip: {
            callbacks: {
              label: function (context) {
                return series.label + " " + context.parsed.y + " (" + series.bands[context.dataIndex] + ")";
              }
            }
          }
        }
      }
    });
  }

  function drawAll() {
    var source = document.getElementById("measures-chart-data");
    if (!source || typeof window.Chart === "undefined") {
      return;
    }
    JSON.parse(source.textContent).charts.forEach(draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
  document.addEventListener("htmx:afterSettle", drawAll);
})();
