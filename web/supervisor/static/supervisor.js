// Live progress of a solve run: polls the run's JSON and updates the page (it works without this).
(function () {
  "use strict";

  function show(box, name, value) {
    var el = box.querySelector('[data-field="' + name + '"]');
    if (el && value !== null && value !== undefined) {
      el.textContent = typeof value === "number" && name === "elapsed_seconds" ? value.toFixed(1) : String(value);
    }
  }

  function poll(box) {
    var url = box.getAttribute("data-progress-url");
    var meter = document.getElementById("progress-meter");
    var message = document.getElementById("solve-message");
    function tick() {
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (run) {
          if (!run) { return; }
          ["status", "solver_status", "served_weight", "served_weight_bound", "elapsed_seconds"].forEach(function (name) {
            show(box, name, run[name]);
          });
          if (meter && run.percent_of_bound !== null) { meter.value = run.percent_of_bound; }
          if (run.finished) {
            if (message) {
              message.textContent = run.status === "done"
                ? "Done: the draft is ready. " + run.unassigned_count + " request(s) could not be served."
                : "The solve failed: " + (run.error || "unknown error");
            }
            return;
          }
          window.setTimeout(tick, 1000);
        })
        .catch(function () { window.setTimeout(tick, 3000); });
    }
    tick();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("#solve-progress[data-polling]");
    if (box && window.fetch) { poll(box); }
  });
})();
