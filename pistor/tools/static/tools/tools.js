/* Clinical tools: let HTMX swap the 422 that carries field errors (htmx 2 ignores 4xx by
   default), and clear old inline errors before a new screen is posted. */
(function () {
  "use strict";
  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (detail.xhr && detail.xhr.status === 422 && detail.requestConfig &&
        detail.requestConfig.elt && detail.requestConfig.elt.closest("#screen-tool")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = event.target instanceof Element ? event.target.closest("#screen-form") : null;
    if (!form) { return; }
    form.querySelectorAll("ul.errorlist").forEach(function (el) { el.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (el) { el.removeAttribute("aria-invalid"); });
    form.querySelectorAll(".field-error").forEach(function (el) { el.classList.remove("field-error"); });
    var summary = document.getElementById("form-errors");
    if (summary) { summary.remove(); }
  });
})();
