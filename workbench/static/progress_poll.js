// Polls a long job's progress (a policy backtest, an auditor export) and reloads the page
// once it is done. The box carries data-progress-url, data-status and an optional
// data-progress-unit ("items"); inside it a <progress> and a [data-progress-text] element.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress-url]");
  if (!box) { return; }
  var status = box.getAttribute("data-status");
  if (status === "done" || status === "failed") { return; }
  var url = box.getAttribute("data-progress-url");
  var unit = box.getAttribute("data-progress-unit");
  var bar = box.querySelector("progress");
  var text = box.querySelector("[data-progress-text]");

  function poll() {
    fetch(url, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (progress) {
        if (!progress) { setTimeout(poll, 3000); return; }
        bar.value = progress.percent;
        bar.textContent = progress.percent + "%";
        text.textContent = progress.status + " · " + progress.done + " of " + progress.total + (unit ? " " + unit : "");
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
