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
    var active = document.activeElement;
    if (active && active !== document.body) return; // focus is still somewhere (in this item or another): keep it
    var focusable = item.querySelector("button[type=submit]") || item.querySelector("h4");
    if (focusable) {
      if (!focusable.hasAttribute("tabindex") && focusable.tagName === "H4") focusable.setAttribute("tabindex", "-1");
      focusable.focus();
    }
  });

  // Unsaved input: a form marked data-warn-unsaved warns before the page is left while it holds input that
  // is not saved yet – typed but not submitted, or an autosave (htmx) still on its way.
  var generation = 0;
  var pending = 0;
  function warnForm(element) {
    var form = element && element.closest ? element.closest("form") : null;
    return form && form.hasAttribute("data-warn-unsaved") ? form : null;
  }
  function markDirty(event) {
    var form = warnForm(event.target);
    if (!form) return;
    generation += 1;
    form.setAttribute("data-dirty", String(generation));
  }
  document.addEventListener("input", markDirty);
  document.addEventListener("change", markDirty);
  document.addEventListener("submit", function (event) {
    var form = warnForm(event.target);
    if (form && !event.defaultPrevented) form.removeAttribute("data-dirty");
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = warnForm(event.detail.elt);
    if (!form) return;
    pending += 1;
    event.detail.xhr.vrGeneration = Number(form.getAttribute("data-dirty") || 0);
    event.detail.xhr.vrForm = form;
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (!xhr || xhr.vrForm === undefined) return;
    pending = Math.max(0, pending - 1);
    var form = xhr.vrForm;
    var failed = !event.detail.successful || xhr.status >= 400;
    if (failed) {
      // the item was replaced by its error or conflict view: the input there is still not saved
      var again = document.getElementById(form.closest("[id]") ? form.closest("[id]").id : "");
      var replacement = again ? again.querySelector("form[data-warn-unsaved]") : null;
      if (replacement) replacement.setAttribute("data-dirty", String(++generation));
    } else if (Number(form.getAttribute("data-dirty") || 0) <= xhr.vrGeneration) {
      form.removeAttribute("data-dirty"); // nothing typed since this request was sent
    }
  });
  // After an autosave the item's marks (open, overdue) follow the stored answer (see _item_autosaved.html).
  document.addEventListener("htmx:afterSwap", function () {
    var marks = document.querySelectorAll(".privacy-item .item-meta[data-open]");
    Array.prototype.forEach.call(marks, function (meta) {
      var item = meta.closest(".privacy-item");
      item.classList.toggle("is-open", meta.getAttribute("data-open") === "yes");
      item.classList.toggle("is-overdue", meta.getAttribute("data-overdue") === "yes");
      meta.removeAttribute("data-open");
      meta.removeAttribute("data-overdue");
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (pending > 0 || document.querySelector("form[data-warn-unsaved][data-dirty]")) {
      event.preventDefault();
      event.returnValue = "";
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
