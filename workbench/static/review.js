// Review queues: keyboard shortcuts, the lease heartbeat and deadline countdowns.
// Static file: the CSP forbids inline scripts. Shortcuts are listed in the help overlay
// (templates/review/_layout.html) and docs/moderator-guide.md.
(function () {
  "use strict";

  var OUTCOME_KEYS = { r: "remove", x: "geo_restrict", a: "age_restrict", d: "demote", l: "label", k: "no_action" };
  var pendingG = false;

  function $(selector) { return document.querySelector(selector); }

  function typing(target) {
    if (!target) return false;
    var tag = target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable ||
      (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/i.test(target.type));
  }

  function submitVia(buttonSelector) {
    var button = $(buttonSelector);
    if (!button) return false;
    var form = button.form;
    if (form.requestSubmit) form.requestSubmit(button); else button.click();
    return true;
  }

  function toggleHelp(show) {
    var help = $("#shortcut-help");
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  }

  function focus(selector) {
    var element = $(selector);
    if (element) { element.focus(); return true; }
    return false;
  }

  function chooseOutcome(value) {
    var radio = $("#outcome-" + value);
    if (!radio || radio.disabled) return false;
    radio.checked = true;
    var scope = $("#territorial_scope");
    if (scope && value === "geo_restrict") {
      if (/^everywhere$/i.test(scope.value)) scope.value = "";
      scope.focus();
    } else if (scope && !scope.value) {
      scope.value = "everywhere";
    }
    return true;
  }

  function chooseRule(index) {
    var select = $("#rule");
    if (!select || index >= select.options.length) return false;
    select.selectedIndex = index;
    select.dispatchEvent(new Event("change"));
    return true;
  }

  // Only the outcomes the chosen rule allows stay enabled.
  function syncOutcomes() {
    var select = $("#rule");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var allowed = option && option.dataset.outcomes ? option.dataset.outcomes.split(" ") : null;
    document.querySelectorAll("#outcomes input[name=outcome]").forEach(function (radio) {
      radio.disabled = allowed !== null && allowed.indexOf(radio.value) < 0;
      if (radio.disabled) radio.checked = false;
      radio.parentElement.classList.toggle("disabled", radio.disabled);
    });
  }

  function onKey(event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      if (submitVia(event.shiftKey ? "#submit-stay" : "#submit-next")) event.preventDefault();
      return;
    }
    if (event.key === "Escape") {
      toggleHelp(false);
      if (typing(event.target)) event.target.blur();
      return;
    }
    if (event.ctrlKey || event.metaKey || event.altKey || typing(event.target)) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      if (key === "q") { window.location.href = "/queues"; event.preventDefault(); }
      return;
    }
    var handled = true;
    if (key === "?") toggleHelp();
    else if (key === "g") pendingG = true;
    else if (key === "n") handled = submitVia("#next-form button");
    else if (OUTCOME_KEYS[key]) handled = chooseOutcome(OUTCOME_KEYS[key]);
    else if (key === "u") handled = focus("#rule");
    else if (/^[1-9]$/.test(key)) handled = chooseRule(parseInt(key, 10));
    else if (key === "i") handled = focus("#internal_note");
    else if (key === "m") handled = focus("#user_explanation");
    else if (key === "e") handled = focus("#escalate-reason");
    else if (key === "h") handled = focus("#hold-reason");
    else if (key === "b") handled = submitVia("#release-form button");
    else if (key === "v" && window.WorkbenchMedia) window.WorkbenchMedia.revealAll();
    else if (key === "c" && window.WorkbenchMedia) {
      document.querySelectorAll("[data-wb-media]").forEach(window.WorkbenchMedia.toggleColour);
    } else handled = false;
    if (handled) event.preventDefault();
  }

  function formatLeft(seconds) {
    var late = seconds < 0;
    var s = Math.abs(seconds);
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = Math.floor(s % 60);
    var text = (h ? h + " h " : "") + (h || m ? m + " min " : "") + (h ? "" : sec + " s");
    return late ? "overdue by " + text.trim() : text.trim() + " left";
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var due = Date.parse(element.dataset.dueAt || element.getAttribute("datetime"));
      if (isNaN(due)) return;
      var left = (due - now) / 1000;
      element.textContent = formatLeft(left);
      element.classList.toggle("late", left < 0);
      element.classList.toggle("soon", left >= 0 && left < 3600);
    });
  }

  function csrfToken() {
    var meta = document.querySelector("meta[name=csrf-token]");
    return meta ? meta.content : "";
  }

  // Renew the lease while the page is open; say so at once if the claim was lost.
  function heartbeat(page) {
    fetch(page.dataset.renewUrl, { method: "POST", credentials: "same-origin",
                                   headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return [response.ok, body]; }); })
      .then(function (result) {
        var status = $("#lease-status");
        if (result[0]) { page.dataset.leaseExpiresAt = result[1].lease_expires_at; return; }
        page.dataset.mine = "no";
        if (status) { status.textContent = result[1].error.message; status.classList.add("lost"); }
      })
      .catch(function () { /* offline for a moment: the next beat tries again */ });
  }

  document.addEventListener("keydown", onKey);
  document.addEventListener("DOMContentLoaded", function () {
    var rule = $("#rule");
    if (rule) { rule.addEventListener("change", syncOutcomes); syncOutcomes(); }
    tickCountdowns();
    window.setInterval(tickCountdowns, 1000);
    var page = $("#case-page");
    if (page && page.dataset.mine === "yes") {
      window.setInterval(function () { if (page.dataset.mine === "yes") heartbeat(page); }, 60000);
    }
  });
})();
