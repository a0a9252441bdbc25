/* Searchable checkbox chips (pistor.web.widgets.ChipsSelectMultiple).
 *
 * Without this file the list is plain checkboxes and works as such. With it: a filter box
 * narrows the list as you type (ignoring case and accents), a line says how many are
 * ticked, and "Untick all" clears them. Loaded as a file: the CSP forbids inline script.
 */
(function () {
  "use strict";

  function fold(text) {
    // "Eczéma" and "eczema" match; so do "O'Brien" and "obrien".
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").replace(/[^\p{L}\p{N}\s]/gu, "").toLowerCase();
  }

  function setUp(root) {
    if (root.hasAttribute("data-chips-ready")) { return; }
    root.setAttribute("data-chips-ready", "");
    var tools = root.querySelector("[data-chips-tools]");
    var filter = root.querySelector("[data-chips-filter]");
    var clear = root.querySelector("[data-chips-clear]");
    var status = root.querySelector("[data-chips-status]");
    var none = root.querySelector("[data-chips-none]");
    var chips = Array.prototype.slice.call(root.querySelectorAll(".chip"));
    var keys = chips.map(function (chip) { return fold(chip.getAttribute("data-chip-text") || chip.textContent); });

    function boxes() { return root.querySelectorAll("input[type=checkbox]"); }

    function showCount() {
      var ticked = root.querySelectorAll("input[type=checkbox]:checked").length;
      if (status) {
        status.hidden = false;
        status.textContent = ticked === 0 ? "None ticked." : ticked === 1 ? "1 ticked." : ticked + " ticked.";
      }
      if (clear) { clear.disabled = ticked === 0; }
    }

    function applyFilter() {
      var words = fold(filter ? filter.value : "").split(/\s+/).filter(Boolean);
      var shown = 0;
      chips.forEach(function (chip, i) {
        var box = chip.querySelector("input");
        // A ticked choice stays in sight, so a filter never hides what will be sent.
        var match = words.every(function (w) { return keys[i].indexOf(w) !== -1; }) || (box && box.checked);
        chip.hidden = !match;
        if (match) { shown += 1; }
      });
      if (none) { none.hidden = shown !== 0; }
    }

    if (tools) { tools.hidden = false; }
    if (filter) {
      filter.addEventListener("input", applyFilter);
      filter.addEventListener("keydown", function (event) {
        // Enter in the filter must not submit the whole form half filled.
        if (event.key === "Enter") { event.preventDefault(); }
        if (event.key === "Escape") { filter.value = ""; applyFilter(); }
      });
    }
    if (clear) {
      clear.addEventListener("click", function () {
        Array.prototype.forEach.call(boxes(), function (box) { box.checked = false; });
        showCount();
        applyFilter();
      });
    }
    root.addEventListener("change", showCount);
    showCount();
  }

  function setUpAll(scope) {
    var roots = (scope || document).querySelectorAll("[data-chips]");
    Array.prototype.forEach.call(roots, setUp);
  }

  if (document.readyState !== "loading") { setUpAll(document); } else {
    document.addEventListener("DOMContentLoaded", function () { setUpAll(document); });
  }
  // Lists that arrive in an HTMX swap.
  document.addEventListener("htmx:load", function (event) {
    setUpAll(event.target instanceof Element ? event.target : document);
  });
})();
