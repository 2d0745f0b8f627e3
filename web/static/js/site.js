// Small progressive enhancements; every page works without them.
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.getElementById("error-summary");
    if (summary) {
      summary.focus();
    }
  }

  // Timezone pickers: the request form asks in which timezone the coachee's times are.
  // The server fills in the programme's; the browser knows better, unless the person chose.
  // An empty picker gets the browser's zone too.
  function detectTimezone() {
    if (!window.Intl || !Intl.DateTimeFormat) {
      return;
    }
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) {
      return;
    }
    document.querySelectorAll("input.timezone-picker").forEach(function (input) {
      if (!input.hasAttribute("data-detect-timezone") && input.value) {
        return;
      }
      var known = input.list && Array.prototype.some.call(input.list.options, function (option) {
        return option.value === zone;
      });
      if (!known) {
        return;
      }
      input.value = zone;
      var note = document.getElementById(input.id + "-detected");
      if (note) {
        note.textContent = "We set this from your browser (" + zone + "). Change it if it is not where you will be.";
      }
    });
  }

  // A datalist only offers what matches the text already in the box: select it on focus,
  // so typing replaces it and the whole list is searched.
  function searchableTimezones() {
    document.querySelectorAll("input.timezone-picker").forEach(function (input) {
      input.addEventListener("focus", function () {
        input.select();
      });
    });
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
    searchableTimezones();
    confirmActions();
  });
})();
