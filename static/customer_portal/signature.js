/* A finger signature on a canvas (customer_portal confirm / receipt pages): pointer events,
   the PNG goes into the form's hidden "signature" field as a data URL. No library. */
(function () {
  "use strict";
  var form = document.querySelector("[data-sig]") && document.querySelector("[data-sig]").closest("form");
  if (!form) return;
  var wrap = form.querySelector("[data-sig]");
  var canvas = wrap.querySelector("canvas");
  var field = form.querySelector("input[name=signature]");
  var typed = form.querySelector("input[name=typed_name]");
  var submit = form.querySelector("[data-sig-submit]");
  var ctx = canvas.getContext("2d");
  var drawing = false, signed = false, last = null, mode = "draw";

  function setup() {
    var box = canvas.getBoundingClientRect(), ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(box.width * ratio);
    canvas.height = Math.round(box.height * ratio);
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.fillStyle = "#fff";
    ctx.fillRect(0, 0, box.width, box.height);
    ctx.lineWidth = 2.6; ctx.lineCap = "round"; ctx.lineJoin = "round";
    ctx.strokeStyle = "#10233f"; ctx.fillStyle = "#10233f";
  }
  function clear() {
    setup(); signed = false; field.value = ""; wrap.classList.remove("signed"); update();
  }
  function point(e) {
    var box = canvas.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top };
  }
  function update() {
    if (!submit) return;
    submit.disabled = mode === "draw" ? !signed : !(typed && typed.value.trim());
  }
  canvas.addEventListener("pointerdown", function (e) {
    e.preventDefault();
    if (canvas.setPointerCapture) canvas.setPointerCapture(e.pointerId);
    drawing = true; last = point(e);
    ctx.beginPath(); ctx.arc(last.x, last.y, 1.3, 0, Math.PI * 2); ctx.fill();
  });
  canvas.addEventListener("pointermove", function (e) {
    if (!drawing) return;
    e.preventDefault();
    var p = point(e);
    ctx.beginPath(); ctx.moveTo(last.x, last.y); ctx.lineTo(p.x, p.y); ctx.stroke();
    last = p;
    if (!signed) { signed = true; wrap.classList.add("signed"); }
  });
  function end() {
    if (!drawing) return;
    drawing = false;
    if (signed) field.value = canvas.toDataURL("image/png");
    update();
  }
  ["pointerup", "pointercancel", "pointerleave"].forEach(function (name) { canvas.addEventListener(name, end); });
  var clearButton = form.querySelector("[data-sig-clear]");
  if (clearButton) clearButton.addEventListener("click", clear);
  form.querySelectorAll("[data-sig-tab]").forEach(function (tab) {
    tab.addEventListener("click", function () {
      mode = tab.getAttribute("data-sig-tab");
      form.querySelectorAll("[data-sig-tab]").forEach(function (t) { t.setAttribute("aria-selected", String(t === tab)); });
      form.querySelectorAll("[data-sig-panel]").forEach(function (panel) { panel.hidden = panel.getAttribute("data-sig-panel") !== mode; });
      if (mode === "type") { field.value = ""; } else if (signed) { field.value = canvas.toDataURL("image/png"); }
      if (mode === "draw" && typed) typed.value = "";
      if (mode === "draw" && !signed) setup();
      update();
    });
  });
  if (typed) typed.addEventListener("input", update);
  setup();
  update();
})();
