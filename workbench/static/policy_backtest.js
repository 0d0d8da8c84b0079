// Polls a running backtest's progress row and reloads the page when the results are in.
(function () {
  "use strict";
  var box = document.getElementById("progress");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") { return; }
  var url = box.getAttribute("data-progress-url");
  var bar = document.getElementById("progress-bar");
  var text = document.getElementById("progress-text");

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { setTimeout(poll, 3000); return; }
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        text.textContent = progress.status + " · " + progress.done + " of " + progress.total + " items";
        if (progress.status === "done" || progress.status === "failed") {
          window.location.reload();
        } else {
          setTimeout(poll, 1000);
        }
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 500);
})();
