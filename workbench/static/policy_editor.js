// The policy editor: validates the draft as you type (JSON endpoint) and jumps to a problem's line.
// No innerHTML: every message is set with textContent, so pack text can never become markup.
(function () {
  "use strict";
  var textarea = document.getElementById("text");
  var list = document.getElementById("issues");
  var validity = document.getElementById("validity");
  var cursor = document.getElementById("cursor-pos");
  if (!textarea || !list) { return; }
  var form = document.getElementById("draft-form");
  var tokenInput = form ? form.querySelector("input[name=csrf_token]") : null;
  var url = textarea.getAttribute("data-validate-url");
  var jurisdiction = textarea.getAttribute("data-jurisdiction");
  var timer = null;
  var sequence = 0;

  function lineStart(text, line) {
    var index = 0;
    for (var i = 1; i < line && index !== -1; i++) {
      index = text.indexOf("\n", index);
      if (index !== -1) { index += 1; }
    }
    return index === -1 ? text.length : index;
  }

  function goTo(line, column) {
    var text = textarea.value;
    var start = lineStart(text, line) + Math.max(0, column - 1);
    var end = text.indexOf("\n", start);
    textarea.focus();
    textarea.setSelectionRange(start, end === -1 ? text.length : end);
    var lineHeight = textarea.scrollHeight / Math.max(1, text.split("\n").length);
    textarea.scrollTop = Math.max(0, (line - 5) * lineHeight);
  }

  function render(result) {
    while (list.firstChild) { list.removeChild(list.firstChild); }
    var issues = result.issues || [];
    if (!issues.length) {
      var ok = document.createElement("li");
      ok.className = "issue-ok";
      ok.textContent = "No errors or warnings.";
      list.appendChild(ok);
    }
    issues.forEach(function (issue) {
      var item = document.createElement("li");
      item.className = "issue-" + issue.severity;
      item.setAttribute("data-line", issue.line);
      item.setAttribute("data-column", issue.column);
      var severity = document.createElement("strong");
      severity.textContent = issue.severity;
      item.appendChild(severity);
      var where = issue.line ? " line " + issue.line + ", column " + issue.column : " document";
      var path = issue.path ? " (" + issue.path + ")" : "";
      item.appendChild(document.createTextNode(where + path + ": " + issue.message));
      list.appendChild(item);
    });
    var errors = issues.filter(function (i) { return i.severity === "error"; }).length;
    if (validity) { validity.textContent = errors ? errors + " error(s)" : "valid"; }
  }

  function validate() {
    var mine = ++sequence;
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": tokenInput ? tokenInput.value : ""},
      body: JSON.stringify({text: textarea.value, jurisdiction: jurisdiction})
    }).then(function (response) {
      // A text over the size or alias limits is refused (413/422) with its issues: list them too.
      var refused = response.status === 413 || response.status === 422;
      return response.ok || refused ? response.json().catch(function () { return null; }) : null;
    }).then(function (result) {
      if (result && !result.issues && result.error) {
        result = {issues: [{line: result.error.line || 0, column: result.error.column || 0, path: "",
                            message: result.error.message, severity: "error"}]};
      }
      if (result && mine === sequence) { render(result); }  // ignore answers to older text
    }).catch(function () { /* offline: the server checks again on save */ });
  }

  textarea.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  });
  function showCursor() {
    if (!cursor) { return; }
    var before = textarea.value.slice(0, textarea.selectionStart);
    var line = before.split("\n").length;
    var column = before.length - before.lastIndexOf("\n");
    cursor.textContent = "line " + line + ", column " + column;
  }
  textarea.addEventListener("keyup", showCursor);
  textarea.addEventListener("click", showCursor);
  list.addEventListener("click", function (event) {
    var item = event.target.closest("li[data-line]");
    if (item && Number(item.getAttribute("data-line")) > 0) {
      goTo(Number(item.getAttribute("data-line")), Number(item.getAttribute("data-column")) || 1);
      showCursor();
    }
  });
})();
