// Text limits on every page (issue 13): a textarea with a maxlength shows how many characters
// it holds, and a form with one over its limit is not sent: the message says which field and
// by how much, and nothing typed is cut off. The maxlength attribute itself is moved aside
// (data-maxlength) because a browser silently truncates pasted text to it; without this file
// that attribute still stops typing past the limit. A form carrying a one-time token
// (form_token) is sent once: a second tap while the first is on its way does nothing.
(function () {
  "use strict";

  function count(text) {
    // characters as the server counts them: a line break is one, an emoji is one
    return Array.from(text.replace(/\r\n/g, "\n")).length;
  }

  function fmt(n) { return n.toLocaleString("en-GB"); }

  function labelOf(area) {
    var label = area.id && document.querySelector("label[for='" + area.id + "']");
    return label ? label.firstChild.textContent.trim() : "This field";
  }

  function setUp(area) {
    var limit = parseInt(area.getAttribute("maxlength"), 10);
    if (!limit) { return null; }
    area.removeAttribute("maxlength");
    area.setAttribute("data-maxlength", String(limit));
    var note = document.createElement("p");
    note.className = "char-count hint";
    note.id = (area.id || area.name) + "-count";
    note.setAttribute("aria-live", "polite");
    area.parentNode.insertBefore(note, area.nextSibling);
    var described = area.getAttribute("aria-describedby");
    area.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
    function update() {
      var n = count(area.value);
      var over = n - limit;
      note.classList.toggle("over", over > 0);
      note.textContent = over > 0
        ? fmt(n) + " characters: " + fmt(over) + " too many (the limit is " + fmt(limit) + "). Shorten it, or attach the full text as a file."
        : fmt(n) + " of " + fmt(limit) + " characters";
      return over;
    }
    area.addEventListener("input", update);
    update();
    return { area: area, note: note, update: update };
  }

  var checks = [];
  document.querySelectorAll("textarea[maxlength]").forEach(function (area) {
    var c = setUp(area);
    if (c) { checks.push(c); }
  });

  document.querySelectorAll("form").forEach(function (form) {
    form.addEventListener("submit", function (ev) {
      var first = null;
      checks.forEach(function (c) {
        if (c.area.form === form && c.update() > 0 && !first) { first = c; }
      });
      if (first) {
        ev.preventDefault();
        first.note.textContent = "Not sent: " + labelOf(first.area) + " has " + first.note.textContent;
        first.area.setAttribute("aria-invalid", "true");
        first.area.focus();
        return;
      }
      if (form.querySelector("input[name=form_token]")) {
        if (form.getAttribute("data-sent")) { ev.preventDefault(); return; }
        form.setAttribute("data-sent", "1");
      }
    });
  });
  // coming back to the page (the back button) makes its forms usable again
  window.addEventListener("pageshow", function () {
    document.querySelectorAll("form[data-sent]").forEach(function (f) { f.removeAttribute("data-sent"); });
  });
})();
