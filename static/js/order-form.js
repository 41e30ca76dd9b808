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

  // --- product picker: a hidden id and a search box (orders.forms.orders.ProductPicker) ---

  function pickerOf(element) {
    return element.closest("[data-product-picker]");
  }

  function options(picker) {
    return Array.prototype.slice.call(picker.querySelectorAll("[data-product-pick]"));
  }

  function setOpen(picker, open) {
    var results = picker.querySelector(".product-results");
    var search = picker.querySelector("[data-product-search]");
    if (!open) results.innerHTML = "";
    results.classList.toggle("show", open);
    search.setAttribute("aria-expanded", open ? "true" : "false");
    if (!open) search.removeAttribute("aria-activedescendant");
  }

  function activate(picker, index) {
    var list = options(picker);
    if (!list.length) return;
    index = (index + list.length) % list.length;
    list.forEach(function (option, i) {
      option.classList.toggle("active", i === index);
      option.setAttribute("aria-selected", i === index ? "true" : "false");
      if (!option.id) option.id = picker.querySelector(".product-results").id + "-" + i;
    });
    picker.querySelector("[data-product-search]").setAttribute("aria-activedescendant", list[index].id);
    list[index].scrollIntoView({ block: "nearest" });
  }

  function activeIndex(picker) {
    return options(picker).findIndex(function (option) {
      return option.classList.contains("active");
    });
  }

  function pickProduct(picker, option) {
    var search = picker.querySelector("[data-product-search]");
    picker.querySelector("[data-product-id]").value = option.dataset.productPick;
    search.value = option.dataset.label;
    search.dataset.chosenLabel = option.dataset.label;
    search.title = option.dataset.label;
    search.classList.remove("is-invalid");
    setOpen(picker, false);
    var row = picker.closest("tr");
    ["spec", "unit"].forEach(function (name) {
      var input = row.querySelector("input[name$='-" + name + "']");
      if (input) input.value = option.dataset[name] || "";
    });
    var price = row.querySelector("input[name$='-unit_price']");
    if (price && option.dataset.price) price.value = option.dataset.price;
    var quantity = row.querySelector("input[name$='-quantity']");
    if (quantity && !quantity.value) quantity.value = "1";
    changed();
    // Keyboard entry goes on with the quantity.
    if (quantity) {
      quantity.focus();
      quantity.select();
    }
  }

  // What the box shows when the user leaves it: the chosen product, never half a query.
  function restore(picker) {
    var search = picker.querySelector("[data-product-search]");
    if (picker.querySelector("[data-product-id]").value) search.value = search.dataset.chosenLabel || "";
    setOpen(picker, false);
  }

  form.addEventListener("keydown", function (event) {
    var search = event.target.closest("[data-product-search]");
    if (!search) return;
    var picker = pickerOf(search);
    var open = options(picker).length > 0;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (open) activate(picker, activeIndex(picker) + (event.key === "ArrowDown" ? 1 : -1));
      else htmx.trigger(search, "search");
    } else if (event.key === "Enter") {
      // Enter picks; it never submits the order from the search box.
      event.preventDefault();
      var index = activeIndex(picker);
      if (open && index >= 0) pickProduct(picker, options(picker)[index]);
    } else if (event.key === "Escape" && picker.querySelector(".product-results").classList.contains("show")) {
      event.preventDefault();
      restore(picker);
    }
  });

  form.addEventListener("input", function (event) {
    var search = event.target.closest("[data-product-search]");
    if (!search || search.value.trim()) return;
    // An emptied box unchooses the product.
    pickerOf(search).querySelector("[data-product-id]").value = "";
    search.dataset.chosenLabel = "";
    search.title = "";
    setOpen(pickerOf(search), false);
    changed();
  });

  // Typing replaces the chosen product's name instead of adding to it.
  form.addEventListener("focusin", function (event) {
    var search = event.target.closest("[data-product-search]");
    if (search && search.value) search.select();
  });

  form.addEventListener("focusout", function (event) {
    var picker = event.target.closest("[data-product-picker]");
    if (picker && !picker.contains(event.relatedTarget)) restore(picker);
  });

  // Keep the focus in the box while an answer is clicked.
  form.addEventListener("mousedown", function (event) {
    if (event.target.closest(".product-results")) event.preventDefault();
  });

  form.addEventListener("click", function (event) {
    var option = event.target.closest("[data-product-pick]");
    if (option) pickProduct(pickerOf(option), option);
  });

  document.body.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target.id === "lines-body") {
      var total = document.getElementById("id_lines-TOTAL_FORMS");
      total.value = String(parseInt(total.value, 10) + 1);
      changed();
    }
    var picker = target.closest("[data-product-picker]");
    if (picker) {
      var search = picker.querySelector("[data-product-search]");
      var hasAnswer = target.children.length > 0 && document.activeElement === search;
      if (hasAnswer) setOpen(picker, true);
      else setOpen(picker, false);
      if (options(picker).length) activate(picker, 0);
    }
    if (target.id === "customer-results") {
      var auto = target.querySelector("[data-autoselect]");
      if (auto) pickCustomer(auto);
    }
  });
})();
