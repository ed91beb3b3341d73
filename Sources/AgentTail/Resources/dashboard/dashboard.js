// agenttail ui: open the step a link points at, and refresh the main part of a live page when the store changes.
(function () {
  "use strict";
  var main = document.getElementById("main");
  var state = document.querySelector(".live-state");

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var target = document.getElementById(id);
    if (!target) return;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") node.open = true;
    }
    document.querySelectorAll("details.highlight").forEach(function (d) { d.classList.remove("highlight"); });
    if (target.tagName === "DETAILS") target.classList.add("highlight");
    target.scrollIntoView({ block: "center" });
    var summary = target.querySelector("summary");
    if (summary) summary.focus({ preventScroll: true });
  }

  var updates = 0;
  function refresh() {
    var open = Array.prototype.map.call(main.querySelectorAll("details[open][id]"), function (d) { return d.id; });
    var request = new XMLHttpRequest();
    request.open("GET", location.pathname + location.search);
    request.setRequestHeader("X-Agenttail-Partial", "1");
    request.onload = function () {
      if (request.status !== 200) return;
      var y = window.scrollY;
      main.innerHTML = request.responseText;
      open.forEach(function (id) {
        var d = document.getElementById(id);
        if (d) d.open = true;
      });
      window.scrollTo(0, y);
      updates += 1;
      document.documentElement.setAttribute("data-updates", String(updates));
      if (state) state.textContent = "updated " + new Date().toLocaleTimeString();
    };
    request.send();
  }

  var live = main && main.getAttribute("data-live");
  if (live && window.EventSource) {
    var pending = null;
    var source = new EventSource(live);
    source.addEventListener("open", function () {
      if (state) state.textContent = "live";
      document.documentElement.setAttribute("data-live-state", "open");
    });
    source.addEventListener("error", function () { if (state) state.textContent = "reconnecting…"; });
    source.addEventListener("change", function () {
      if (pending) return;
      pending = setTimeout(function () { pending = null; refresh(); }, 100);
    });
  }
  window.addEventListener("hashchange", openTarget);
  openTarget();
  document.documentElement.setAttribute("data-ready", "1");
})();
