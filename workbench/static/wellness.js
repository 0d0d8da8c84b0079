// Media shown kindly: reveal on click, blur again, colour on request; videos stay muted until
// the moderator unmutes them. Loaded by media_assets() in templates/wellness/_media.html.
// window.WorkbenchMedia lets other pages bind keys (e.g. the case page's shortcuts).
(function () {
  "use strict";

  function figureOf(element) { return element.closest("[data-wb-media]"); }

  function reveal(figure) {
    figure.classList.add("wb-revealed");
    var video = figure.querySelector("video");
    if (video && video.hasAttribute("data-wb-muted")) { video.muted = true; }
  }

  function hide(figure) {
    figure.classList.remove("wb-revealed", "wb-colour");
    var video = figure.querySelector("video");
    if (video) { video.pause(); }
    var colour = figure.querySelector("[data-wb-colour]");
    if (colour) { colour.setAttribute("aria-pressed", "false"); }
  }

  function toggleColour(figure) {
    var on = figure.classList.toggle("wb-colour");
    var button = figure.querySelector("[data-wb-colour]");
    if (button) { button.setAttribute("aria-pressed", on ? "true" : "false"); }
  }

  function all(root) { return Array.prototype.slice.call((root || document).querySelectorAll("[data-wb-media]")); }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-wb-reveal], [data-wb-hide], [data-wb-colour]");
    if (!target) { return; }
    var figure = figureOf(target);
    if (!figure) { return; }
    event.preventDefault();
    if (target.hasAttribute("data-wb-reveal")) { reveal(figure); }
    else if (target.hasAttribute("data-wb-hide")) { hide(figure); }
    else { toggleColour(figure); }
  });

  // The `muted` attribute only sets the default; make sure the first play is silent.
  function muteVideos(root) {
    all(root).forEach(function (figure) {
      var video = figure.querySelector("video[data-wb-muted]");
      if (video) { video.muted = true; }
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { muteVideos(document); });
  } else { muteVideos(document); }

  window.WorkbenchMedia = {
    reveal: reveal,
    hide: hide,
    toggleColour: toggleColour,
    revealAll: function (root) { all(root).forEach(reveal); },
    hideAll: function (root) { all(root).forEach(hide); },
    muteVideos: muteVideos
  };
}());
