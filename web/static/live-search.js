// Search as you type for a GET search form marked data-live-search="<id of its results>".
// Without this file the form still works: its Search button loads the page with the results.
// The page answers a request carrying "X-Live-Search: 1" with the results part alone.
(function () {
  "use strict";
  if (!window.fetch || !window.DOMParser) { return; }
  document.querySelectorAll("form[data-live-search]").forEach(function (form) {
    var target = form.getAttribute("data-live-search");
    var timer = null;
    var latest = 0;

    function search() {
      var ticket = ++latest;
      var params = new URLSearchParams(new FormData(form));
      var url = form.getAttribute("action") + "?" + params.toString();
      fetch(url, { credentials: "same-origin", headers: { "X-Live-Search": "1" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || ticket !== latest) { return; }
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById(target);
          var old = document.getElementById(target);
          if (fresh && old) {
            old.replaceWith(document.importNode(fresh, true));
            window.history.replaceState(null, "", url);
          }
        })
        .catch(function () { /* the Search button still works */ });
    }

    form.querySelectorAll("[data-live-input]").forEach(function (el) {
      el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () {
        clearTimeout(timer);
        timer = setTimeout(search, 250);
      });
    });
  });
})();
