// The comparison slider: the later photograph is laid over the earlier one and clipped at
// the slider's position. No inline script (the Content-Security-Policy forbids it).
(function () {
  "use strict";
  function setup() {
    var slider = document.getElementById("compare-slider");
    var top = document.getElementById("slider-after");
    var out = document.getElementById("compare-slider-value");
    if (!slider || !top) return;
    function apply() {
      var shown = Number(slider.value);
      top.style.clipPath = "inset(0 " + (100 - shown) + "% 0 0)";
      top.setAttribute("data-shown", String(shown));
      if (out) out.textContent = shown + "%";
    }
    slider.addEventListener("input", apply);
    slider.addEventListener("change", apply);
    apply();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
