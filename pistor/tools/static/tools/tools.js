/* Clinical tools: clear old inline errors before a new screen is posted. (The 422 that
   carries field errors is swapped in by the htmx-config of web/base.html, as on every page.) */
(function () {
  "use strict";
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
