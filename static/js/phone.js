// Tables on a phone (docs/decisions/0017-phone-layout.md): every data table of the content
// area gets its column headings as data-label on its cells and the class "table-cards";
// below 768 px portal.css stacks such a table into one card per row, each value under its
// label. Paper documents (.doc) and tables marked .table-scroll stay tables and scroll
// inside their card. No inline script (CSP script-src 'self').
(function () {
  "use strict";

  function headings(table) {
    var row = table.tHead && table.tHead.rows[table.tHead.rows.length - 1];
    if (!row) return null;
    var labels = [];
    Array.prototype.forEach.call(row.cells, function (cell) {
      var span = cell.colSpan || 1;
      var text = cell.textContent.replace(/\s+/g, " ").trim();
      if (text === "#") text = "";
      for (var i = 0; i < span; i++) labels.push(i === 0 ? text : "");
    });
    return labels;
  }

  function label(table) {
    if (table.closest(".doc") || table.classList.contains("table-scroll")) return;
    var labels = headings(table);
    if (!labels) return;
    table.classList.add("table-cards");
    Array.prototype.forEach.call(table.tBodies, function (body) {
      Array.prototype.forEach.call(body.rows, function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.cells, function (cell) {
          var span = cell.colSpan || 1;
          var text = span === 1 ? labels[column] : "";
          if (text && !cell.hasAttribute("data-label")) cell.setAttribute("data-label", text);
          column += span;
        });
      });
    });
  }

  function labelAll(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = scope.querySelectorAll(".portal-content table.table");
    Array.prototype.forEach.call(tables, label);
    if (scope.matches && scope.matches(".portal-content table.table")) label(scope);
    // A fragment swapped inside a table (htmx) gets the labels of its table.
    var table = scope.closest && scope.closest(".portal-content table.table");
    if (table) label(table);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { labelAll(document); });
  } else {
    labelAll(document);
  }
  document.addEventListener("htmx:afterSwap", function (event) { labelAll(event.target); });
  // Rows added by "add a row" buttons (portal.js) are labelled too.
  document.addEventListener("click", function (event) {
    if (event.target.closest("[data-formset-add], [data-clone-row]")) {
      window.setTimeout(function () { labelAll(document); }, 0);
    }
  });
})();
