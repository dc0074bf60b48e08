// The overview's sparklines come after the table: six terms of figures cost more than the page
// itself, so the page is shown first and this asks for the same page with spark=1, then moves
// each school's sparkline into its cell. It does so at once where the table says
// data-spark-auto (PostgreSQL), else when a "Show" link is clicked (SQLite takes one writer at
// a time). Without this file each "Show" link opens that page.
(function () {
  "use strict";
  var table = document.querySelector("table.overview[data-spark-url]");
  if (!table || !window.fetch || !window.DOMParser) { return; }
  var cells = table.querySelectorAll("td.spark-cell[data-school]");
  var asked = false;

  function load() {
    if (asked) { return; }
    asked = true;
    cells.forEach(function (cell) { cell.setAttribute("aria-busy", "true"); });
    fetch(table.getAttribute("data-spark-url"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { asked = false; return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        cells.forEach(function (cell) {
          var match = fresh.querySelector(
            'td.spark-cell[data-school="' + cell.getAttribute("data-school") + '"]');
          if (match && match.querySelector("svg, .spark-none")) {
            cell.innerHTML = match.innerHTML;
          }
        });
      })
      .catch(function () { asked = false; /* the links stay: one click away */ })
      .then(function () {
        cells.forEach(function (cell) { cell.removeAttribute("aria-busy"); });
      });
  }

  table.querySelectorAll("a.spark-load").forEach(function (link) {
    link.addEventListener("click", function (event) { event.preventDefault(); load(); });
  });
  if (table.getAttribute("data-spark-auto") === "1") { load(); }
}());
