/* Vereinsraum – small progressive enhancements. No inline scripts (strict CSP). */
(function () {
  "use strict";

  // Copy buttons: <button data-copy="#selector">
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (!button) return;
    var source = document.querySelector(button.getAttribute("data-copy"));
    if (!source) return;
    var text = source.value !== undefined ? source.value : source.textContent;
    var done = function () {
      var original = button.textContent;
      button.textContent = button.getAttribute("data-copied") || "Kopiert ✓";
      setTimeout(function () { button.textContent = original; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else if (source.select) {
      source.select();
      document.execCommand("copy");
      done();
    }
  });

  // Plain (non-htmx) forms with a confirmation question.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("hx-post")) return; // htmx asks via hx-confirm
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) event.preventDefault();
  });

  // Move focus to an error summary after a failed submit.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.querySelector(".error-summary");
    if (summary) summary.focus();
  });

  // Datenschutz-Selbstcheck: after an item was saved in place, keep the keyboard focus in that item.
  document.addEventListener("htmx:afterSwap", function (event) {
    var old = event.detail.target;
    if (!old || !old.id || old.id.indexOf("item-") !== 0) return;
    var item = document.getElementById(old.id);
    if (!item) return;
    var focusable = item.querySelector("button[type=submit]") || item.querySelector("h4");
    if (focusable) {
      if (!focusable.hasAttribute("tabindex") && focusable.tagName === "H4") focusable.setAttribute("tabindex", "-1");
      focusable.focus();
    }
  });

  // A panel that cannot be reached (network down) or does not answer in time (hx-request timeout) shows a
  // message; a lazy section's own link (data-retry) stays as the retry.
  function unreachable(event) {
    var target = event.detail.target;
    if (!target) return;
    var english = document.documentElement.lang === "en";
    var box = document.createElement("div");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    var text = document.createElement("p");
    if (event.type === "htmx:timeout") {
      text.textContent = english
        ? "This is taking too long. Please try again."
        : "Das dauert zu lange. Bitte versuchen Sie es noch einmal.";
    } else {
      text.textContent = english
        ? "The server could not be reached. Please check your connection."
        : "Der Server ist gerade nicht erreichbar. Bitte prüfen Sie Ihre Verbindung.";
    }
    box.appendChild(text);
    target.setAttribute("aria-busy", "false");
    target.prepend(box);
  }
  document.addEventListener("htmx:sendError", unreachable);
  document.addEventListener("htmx:timeout", unreachable);
})();
