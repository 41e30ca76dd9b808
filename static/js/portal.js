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

  // Filters that apply as soon as they change (instead of an inline onchange).
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select.matches && select.matches("select[data-autosubmit]")) select.form.submit();
  });

  // Formset tables without an empty-form template: clone the first row with the next index.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-clone-row]");
    if (!button) return;
    var prefix = button.getAttribute("data-formset-prefix");
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var body = document.querySelector("#" + button.getAttribute("data-clone-row") + " tbody");
    var n = parseInt(total.value, 10);
    var pattern = new RegExp(prefix + "-\\d+-");
    var row = body.rows[0].cloneNode(true);
    row.dataset.line = String(n);
    row.querySelectorAll("[name]").forEach(function (el) {
      el.name = el.name.replace(pattern, prefix + "-" + n + "-");
      el.id = el.id.replace(pattern, prefix + "-" + n + "-");
      el.value = "";
    });
    row.querySelectorAll(".invalid-feedback").forEach(function (el) { el.remove(); });
    body.appendChild(row);
    total.value = String(n + 1);
  });

  // Confirm dangerous actions.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  });
})();
