// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // The request form asks in which timezone the coachee's times are. The server
  // preselects the programme's; the browser knows better, unless the person chose.
  function detectTimezone() {
    var select = document.querySelector("select[data-detect-timezone]");
    if (!select || !window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) {
      return;
    }
    var known = Array.prototype.some.call(select.options, function (option) {
      return option.value === zone;
    });
    if (!known) {
      return;
    }
    select.value = zone;
    var note = document.getElementById("timezone-detected");
    if (note) {
      note.textContent = "We set this from your browser (" + zone + "). Change it if it is not where you will be.";
    }
  }

  // Confirm before destructive actions marked with data-confirm.
  function confirmActions() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) {
          event.preventDefault();
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    focusErrorSummary();
    detectTimezone();
    confirmActions();
  });
})();
