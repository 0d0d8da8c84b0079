// Keyboard shortcuts for the appeal and QA pages (the CSP forbids inline scripts).
// Any element with data-wb-key="x" is activated by the key x: radio buttons and buttons are
// clicked, text fields and selects get the focus. "?" toggles the help overlay, Ctrl+Enter
// submits the page's form, Escape leaves a text field or closes the help.
(function () {
  "use strict";

  function typing(target) {
    var tag = target && target.tagName;
    return tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && target.type !== "radio" && target.type !== "checkbox");
  }

  function help() { return document.getElementById("wb-shortcuts"); }

  function activate(element) {
    var tag = element.tagName;
    if (tag === "TEXTAREA" || tag === "SELECT" || (tag === "INPUT" && element.type === "text")) {
      element.focus();
    } else {
      element.click();
      element.focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      var form = document.querySelector("form[data-wb-form]");
      if (form) { event.preventDefault(); form.requestSubmit ? form.requestSubmit() : form.submit(); }
      return;
    }
    if (event.key === "Escape") {
      if (help() && !help().hidden) { help().hidden = true; return; }
      if (typing(event.target)) { event.target.blur(); }
      return;
    }
    if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (event.key === "?") {
      if (help()) { help().hidden = !help().hidden; }
      event.preventDefault();
      return;
    }
    var element = document.querySelector('[data-wb-key="' + event.key.replace(/["\\]/g, "") + '"]');
    if (element) {
      event.preventDefault();
      activate(element);
    }
  });
})();
