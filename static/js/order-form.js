// Order entry form: customer picker, product picker, in-place lines (with htmx).
(function () {
  "use strict";
  var form = document.getElementById("order-form");
  if (!form) return;

  function changed() {
    document.body.dispatchEvent(new CustomEvent("lines-changed"));
  }

  function fillIfEmpty(id, value) {
    var input = document.getElementById(id);
    if (input && !input.value && value) input.value = value;
  }

  function pickCustomer(button) {
    document.getElementById("id_customer").value = button.dataset.customerPick;
    var box = document.getElementById("selected-customer");
    box.querySelector("[data-selected-name]").textContent = button.dataset.name;
    box.querySelector("[data-selected-code]").textContent = button.dataset.code;
    box.classList.remove("d-none");
    fillIfEmpty("id_contact_name", button.dataset.contact);
    fillIfEmpty("id_contact_phone", button.dataset.phone);
    fillIfEmpty("id_delivery_address", button.dataset.address);
    fillIfEmpty("id_delivery_postcode", button.dataset.postcode);
    document.getElementById("customer-results").innerHTML = "";
    document.getElementById("customer-search").value = "";
    var quick = document.getElementById("quick-customer");
    if (quick && quick.classList.contains("show")) quick.classList.remove("show");
  }

  form.addEventListener("click", function (event) {
    var pick = event.target.closest("[data-customer-pick]");
    if (pick) {
      pickCustomer(pick);
      return;
    }
    var remove = event.target.closest("[data-remove-line]");
    if (remove) {
      var row = remove.closest("tr");
      var box = row.querySelector("input[type=checkbox][name$='-DELETE']");
      if (box) box.checked = true;
      row.classList.add("d-none");
      changed();
    }
  });

  form.addEventListener("change", function (event) {
    var select = event.target.closest("[data-product-select]");
    if (!select) return;
    var option = select.options[select.selectedIndex];
    var row = select.closest("tr");
    ["spec", "unit"].forEach(function (name) {
      var input = row.querySelector("input[name$='-" + name + "']");
      if (input) input.value = option.dataset[name] || "";
    });
    var price = row.querySelector("input[name$='-unit_price']");
    if (price && option.dataset.price) price.value = option.dataset.price;
    var quantity = row.querySelector("input[name$='-quantity']");
    if (quantity && !quantity.value) quantity.value = "1";
    changed();
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "lines-body") {
      var total = document.getElementById("id_lines-TOTAL_FORMS");
      total.value = String(parseInt(total.value, 10) + 1);
      changed();
    }
    if (target.id === "customer-results") {
      var auto = target.querySelector("[data-autoselect]");
      if (auto) pickCustomer(auto);
    }
  });
})();
