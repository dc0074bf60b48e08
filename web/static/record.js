// Search-as-you-type for the "Record a concern" page. Without this file the page still works:
// its Search button submits the whole form, keeping everything typed.
(function () {
  "use strict";
  var box = document.getElementById("pupils");
  var input = document.getElementById("pupil-q");
  var results = document.getElementById("pupil-results");
  var chosen = document.getElementById("chosen-pupils");
  if (!box || !input || !results || !chosen || !window.fetch) { return; }
  var url = box.getAttribute("data-search-url");
  var timer = null;
  var latest = 0;

  function chosenIds() {
    var ids = {};
    chosen.querySelectorAll("input[name=pupil_ids]").forEach(function (el) { ids[el.value] = true; });
    return ids;
  }

  function row(p, checked) {
    var li = document.createElement("li");
    var label = document.createElement("label");
    label.className = "check";
    var cb = document.createElement("input");
    cb.type = "checkbox"; cb.name = "pupil_ids"; cb.value = String(p.id); cb.checked = checked;
    var hint = document.createElement("span");
    hint.className = "hint"; hint.textContent = p.year || "";
    label.appendChild(cb);
    label.appendChild(document.createTextNode(" " + p.name + " "));
    label.appendChild(hint);
    li.appendChild(label);
    cb.addEventListener("change", function () {
      // a ticked result moves up to the chosen list, so a new search does not lose it
      if (cb.checked && li.parentNode === results) { chosen.appendChild(li); }
    });
    return li;
  }

  function show(pupils, q) {
    var ids = chosenIds();
    results.textContent = "";
    pupils.filter(function (p) { return !ids[String(p.id)]; }).forEach(function (p) {
      results.appendChild(row(p, false));
    });
    if (!results.children.length && q.length >= 2) {
      var li = document.createElement("li");
      li.className = "hint"; li.textContent = "No pupil on roll matches \u201c" + q + "\u201d.";
      results.appendChild(li);
    }
  }

  function search() {
    var q = input.value.trim();
    var ticket = ++latest;
    if (q.length < 2) { results.textContent = ""; return; }
    fetch(url + "?q=" + encodeURIComponent(q), { credentials: "same-origin",
                                                 headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { pupils: [] }; })
      .then(function (data) { if (ticket === latest) { show(data.pupils || [], q); } })
      .catch(function () { /* the Search button still works */ });
  }

  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(search, 200);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") { ev.preventDefault(); search(); }
  });
  // moving ticked results up before a search re-renders keeps them chosen
  results.querySelectorAll("input[name=pupil_ids]").forEach(function (cb) {
    cb.addEventListener("change", function () {
      var li = cb.closest("li");
      if (cb.checked && li) { chosen.appendChild(li); }
    });
  });
})();
