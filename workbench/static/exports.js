// Follows a running export's progress row and reloads the page once the file is ready.
(function () {
  "use strict";
  var box = document.getElementById("export-progress");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("export-progress-bar");
  var text = document.getElementById("export-progress-text");

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { setTimeout(poll, 3000); return; }
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        text.textContent = progress.status + " · " + progress.done + " of " + progress.total;
        if (progress.status === "done" || progress.status === "failed") {
          window.location.reload();
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 300);
})();
