/* Pistor's small page helpers. Loaded as an external file: the CSP forbids inline script. */
(function () {
  "use strict";

  document.documentElement.classList.remove("no-js");

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  ready(function () {
    // The narrow-screen menu button.
    var toggle = document.getElementById("nav-toggle");
    var nav = document.getElementById("mainnav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });

  // A button or link with data-confirm="..." asks before it acts (retiring an entry, say).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-confirm]") : null;
    if (target && !window.confirm(target.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopPropagation();
    }
  }, true);

  // A page part that HTMX fetches (the live patient search, a treatment preview, a tool's
  // screen) and whose answer cannot be shown in place: htmx 2 leaves the page as it was on
  // any 4xx or 5xx the meta htmx-config does not swap, and on a lost connection, so without
  // this the person sees nothing happen. One notice, placed just above the part that did
  // not update, says what went wrong; the next answer that does update takes it away.
  var REQUEST_PROBLEMS = {
    403: "You are not allowed to do this. Nothing was changed.",
    404: "What this asked for was not found: it may have been removed. Reload the page and try again.",
    413: "What you sent is too large for Pistor to accept. Nothing was saved.",
    429: "Too many requests in a short time. Wait a moment, then try again."
  };
  var SERVER_PROBLEM = "Pistor could not answer (a server error, which has been logged). " +
    "Nothing on this page was changed. Try again, or reload the page.";
  var CONNECTION_PROBLEM = "Pistor could not be reached. Check the connection, then try again.";

  function requestNotice(target) {
    var notice = document.getElementById("request-problem");
    if (!notice) {
      notice = document.createElement("div");
      notice.id = "request-problem";
      notice.className = "notice notice-error";
      notice.setAttribute("role", "alert");
    }
    var main = document.getElementById("main") || document.body;
    var inPage = target instanceof Element && target.isConnected && main.contains(target) && target !== main;
    if (inPage) {
      if (notice.nextSibling !== target) { target.parentNode.insertBefore(notice, target); }
    } else if (main.firstChild !== notice) {
      main.insertBefore(notice, main.firstChild);
    }
    return notice;
  }

  function showRequestProblem(event, text) {
    var detail = event.detail || {};
    requestNotice(detail.target || event.target).textContent = text;
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    showRequestProblem(event, REQUEST_PROBLEMS[status] || (status >= 500 ? SERVER_PROBLEM :
      "Pistor refused this request (error " + status + "). Reload the page and try again."));
  });
  document.addEventListener("htmx:sendError", function (event) { showRequestProblem(event, CONNECTION_PROBLEM); });
  document.addEventListener("htmx:timeout", function (event) { showRequestProblem(event, CONNECTION_PROBLEM); });
  document.addEventListener("htmx:afterRequest", function (event) {
    var notice = document.getElementById("request-problem");
    if (notice && event.detail && event.detail.successful) { notice.remove(); }
  });

  // An input with data-autosubmit submits its form when changed (e.g. a timeline start date).
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (el instanceof HTMLElement && el.hasAttribute("data-autosubmit") && el.form) {
      el.form.requestSubmit ? el.form.requestSubmit() : el.form.submit();
    }
  });
})();
