// Import progress: poll the status URL while the import runs, update the bar and the
// counters, and reload once it ends (so the list of bad lines is complete).
(function () {
  "use strict";
  var box = document.getElementById("import-progress");
  if (!box || box.dataset.final === "true") { return; }
  var url = box.dataset.statusUrl;
  var bar = box.querySelector("progress");

  function show(status) {
    bar.value = status.percent;
    bar.textContent = status.percent + "%";
    Object.keys(status).forEach(function (key) {
      var field = box.querySelector('[data-field="' + key + '"]');
      if (field) { field.textContent = String(status[key]); }
      if (field && key === "status") { field.className = "import-" + status.status; }
    });
  }

  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (status) {
        if (!status) { window.setTimeout(poll, 5000); return; }
        show(status);
        if (status.final) { window.location.reload(); } else { window.setTimeout(poll, 1000); }
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }

  window.setTimeout(poll, 1000);
}());
