// "Tick every point": a convenience for a consultation where each point was gone through.
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-check-all]") : null;
    if (!button) { return; }
    var list = document.querySelector(button.getAttribute("data-check-all"));
    if (!list) { return; }
    list.querySelectorAll("input[type=checkbox]").forEach(function (box) { box.checked = true; });
  });
})();
