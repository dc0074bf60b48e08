// Body map: tapping an outline fills the next empty mark row (side, a guess at the part of
// the body, and the point tapped) and draws a dot; the rows remain the way to record a mark
// without a pointer, and the guess can be changed in its list.
(function () {
  "use strict";
  function guess(view, x, y) {
    var left = view === "front" ? x > 50 : x < 50; // the child's left
    var side = left ? "left_" : "right_";
    if (y < 28) { return view === "front" ? "face" : "head"; }
    if (y < 36) { return "neck"; }
    if (x < 28 || x > 72) {
      if (y < 60) { return side + "upper_arm"; }
      if (y < 92) { return side + "forearm"; }
      return side + "hand";
    }
    if (y < 46) { return view === "front" ? (x < 40 || x > 60 ? side + "shoulder" : "chest") : "upper_back"; }
    if (y < 72) { return view === "front" ? "chest" : "upper_back"; }
    if (y < 98) { return view === "front" ? "abdomen" : "lower_back"; }
    if (y < 106) { return view === "front" ? "genital_area" : "buttocks"; }
    if (y < 145) { return side + "thigh"; }
    if (y < 185) { return side + "lower_leg"; }
    return side + "foot";
  }
  function setup(box) {
    var rows = Array.prototype.slice.call(box.querySelectorAll("[data-mark-row]"));
    box.querySelectorAll("svg[data-view]").forEach(function (svg) {
      svg.addEventListener("click", function (ev) {
        var row = rows.filter(function (r) { return !r.querySelector("[name=mark_region]").value; })[0];
        if (!row) { return; }
        var rect = svg.getBoundingClientRect();
        var x = (ev.clientX - rect.left) / rect.width * 100;
        var y = (ev.clientY - rect.top) / rect.height * 200;
        var view = svg.getAttribute("data-view");
        row.querySelector("[name=mark_view]").value = view;
        row.querySelector("[name=mark_region]").value = guess(view, x, y);
        row.querySelector("[name=mark_x]").value = x.toFixed(1);
        row.querySelector("[name=mark_y]").value = (y / 2).toFixed(1);
        var dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
        dot.setAttribute("cx", x); dot.setAttribute("cy", y); dot.setAttribute("r", 3);
        dot.setAttribute("class", "bodymap-dot");
        svg.appendChild(dot);
        row.querySelector("[name=mark_note]").focus();
      });
    });
  }
  document.querySelectorAll("[data-bodymap]").forEach(setup);
}());
