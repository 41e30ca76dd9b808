// Small behaviours shared by every page; no inline scripts (CSP-friendly).
(function () {
  "use strict";

  // Send Django's CSRF token with every htmx request.
  document.body.addEventListener("htmx:configRequest", function (event) {
    var token = document.querySelector("meta[name=csrf-token]");
    if (token) event.detail.headers["X-CSRFToken"] = token.content;
  });

  // Mobile: open / close the sidebar.
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-sidebar-toggle]");
    if (toggle) document.querySelector(".portal-sidebar").classList.toggle("show");
  });

  // Inline formsets: "add a row" clones the empty form template.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    var prefix = button.getAttribute("data-formset-add");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var template = document.getElementById(prefix + "-empty-form");
    var container = document.getElementById(prefix + "-forms");
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    container.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
  });

  // Confirm dangerous actions.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
