// The overview's sparklines come after the table: six terms of figures cost more than the page
// itself, so the page is shown first and this asks for the same page with spark=1, then moves
// each school's sparkline into its cell. Without this file each cell links to that page.
(function () {
  "use strict";
  var table = document.querySelector("table.overview[data-spark-url]");
  if (!table || !window.fetch || !window.DOMParser) { return; }
  var cells = table.querySelectorAll("td.spark-cell[data-school]");
  cells.forEach(function (cell) { cell.setAttribute("aria-busy", "true"); });
  fetch(table.getAttribute("data-spark-url"), { credentials: "same-origin" })
    .then(function (r) { return r.ok ? r.text() : null; })
    .then(function (html) {
      if (html === null) { return; }
      var fresh = new DOMParser().parseFromString(html, "text/html");
      cells.forEach(function (cell) {
        var match = fresh.querySelector(
          'td.spark-cell[data-school="' + cell.getAttribute("data-school") + '"]');
        if (match && match.querySelector("svg, .spark-none")) {
          cell.innerHTML = match.innerHTML;
        }
      });
    })
    .catch(function () { /* the links stay: the figures are one click away */ })
    .then(function () {
      cells.forEach(function (cell) { cell.removeAttribute("aria-busy"); });
    });
}());
