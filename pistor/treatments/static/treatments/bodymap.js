// The injection chart: a click on the body map marks a point (stored as fractions of the
// drawing, 0-1) and picks the area clicked. No inline script: the CSP forbids it.
(function () {
  "use strict";
  var W = 400, H = 520;
  function init() {
    var svg = document.getElementById("bodymap");
    var input = document.getElementById("id_points");
    var region = document.getElementById("id_region");
    var count = document.getElementById("pending-count");
    if (!svg || !input) { return; }
    var pending = svg.querySelector("g.pending");
    var points = [];
    function show() {
      input.value = points.map(function (p) { return p[0] + "," + p[1]; }).join(";");
      if (count) { count.textContent = points.length + " points marked"; }
      // The area form previews its findings on input (HTMX); a marked point is input too.
      input.dispatchEvent(new Event("input", { bubbles: true }));
    }
    svg.addEventListener("click", function (event) {
      var matrix = svg.getScreenCTM();
      if (!matrix) { return; }
      var pt = svg.createSVGPoint();
      pt.x = event.clientX; pt.y = event.clientY;
      var local = pt.matrixTransform(matrix.inverse());
      var x = local.x / W, y = local.y / H;
      if (x < 0 || x > 1 || y < 0 || y > 1) { return; }
      var target = event.target.closest ? event.target.closest("[data-region]") : null;
      if (target && region) { region.value = target.getAttribute("data-region"); }
      points.push([x.toFixed(4), y.toFixed(4)]);
      var dot = document.createElementNS("http://www.w3.org/2000/svg", "circle");
      dot.setAttribute("cx", (x * W).toFixed(2));
      dot.setAttribute("cy", (y * H).toFixed(2));
      dot.setAttribute("r", "4");
      dot.setAttribute("class", "pending-point");
      pending.appendChild(dot);
      show();
    });
    var clear = document.getElementById("points-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        points = [];
        while (pending.firstChild) { pending.removeChild(pending.firstChild); }
        show();
      });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else { init(); }
})();
