// The customer's receipt, survey and request forms: finger signature on a canvas, the
// issue part of a line shown only when "Issue" is chosen. Without JavaScript every part
// stays visible and the server checks everything (customer_portal/receipt_actions.py).
(function () {
  "use strict";

  function setupIssues(form) {
    form.querySelectorAll("fieldset[data-line]").forEach(function (line) {
      var part = line.querySelector("[data-issue-part]");
      if (!part) return;
      function sync() {
        var issue = line.querySelector("input[data-issue-toggle]");
        part.hidden = !(issue && issue.checked);
        line.classList.toggle("rc-line-issue", !part.hidden);
        var ok = line.querySelector("input[value=ok]");
        line.classList.toggle("rc-line-ok", !!(ok && ok.checked));
      }
      line.querySelectorAll("input[type=radio]").forEach(function (radio) {
        radio.addEventListener("change", sync);
      });
      sync();
    });
  }

  function setupSignature(form) {
    var canvas = document.getElementById("signature-pad");
    var field = document.getElementById("signature-data");
    if (!canvas || !field) return;
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var inked = false;
    var last = null;

    var size = "";
    function resize() {
      // Draw at the device's pixel density; keep what was drawn when the phone turns.
      // A resize that leaves the box as it was (the address bar, the keyboard) changes
      // nothing: resetting the canvas would blur what was drawn.
      var ratio = Math.max(window.devicePixelRatio || 1, 1);
      var rect = canvas.getBoundingClientRect();
      var now = Math.round(rect.width) + "x" + Math.round(rect.height) + "@" + ratio;
      if (now === size) return;
      size = now;
      var keep = inked ? canvas.toDataURL("image/png") : null;
      canvas.width = Math.round(rect.width * ratio);
      canvas.height = Math.round(rect.height * ratio);
      ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
      ctx.lineWidth = 2.6;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#111";
      if (keep) {
        var img = new Image();
        img.onload = function () { ctx.drawImage(img, 0, 0, rect.width, rect.height); };
        img.src = keep;
      }
    }

    function point(event) {
      var rect = canvas.getBoundingClientRect();
      return { x: event.clientX - rect.left, y: event.clientY - rect.top };
    }

    canvas.addEventListener("pointerdown", function (event) {
      event.preventDefault();
      canvas.setPointerCapture(event.pointerId);
      drawing = true;
      last = point(event);
      ctx.beginPath();
      ctx.arc(last.x, last.y, 1.2, 0, Math.PI * 2);
      ctx.fillStyle = "#111";
      ctx.fill();
    });
    canvas.addEventListener("pointermove", function (event) {
      if (!drawing) return;
      event.preventDefault();
      var p = point(event);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
      inked = true;
    });
    function stop() {
      if (!drawing) return;
      drawing = false;
      if (inked) {
        field.value = canvas.toDataURL("image/png");
        canvas.classList.add("rc-sig-inked");
      }
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    var clear = document.getElementById("signature-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        ctx.clearRect(0, 0, canvas.width, canvas.height);
        field.value = "";
        inked = false;
        canvas.classList.remove("rc-sig-inked");
      });
    }
    form.addEventListener("submit", function () {
      if (inked) field.value = canvas.toDataURL("image/png");
      var button = form.querySelector("button[type=submit]");
      if (button) {
        // One tap, one submission (a slow network invites a second tap).
        setTimeout(function () { button.disabled = true; }, 0);
      }
    });
    window.addEventListener("resize", resize);
    resize();
  }

  function setupStars() {
    document.querySelectorAll("[data-stars]").forEach(function (group) {
      var label = group.parentElement.querySelector("[data-stars-label]");
      group.querySelectorAll("input[type=radio]").forEach(function (radio) {
        radio.addEventListener("change", function () {
          group.dataset.value = radio.value;
          if (label) label.textContent = radio.dataset.text || "";
        });
        if (radio.checked) group.dataset.value = radio.value;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("receipt-form");
    if (form) {
      setupIssues(form);
      setupSignature(form);
    }
    setupStars();
  });
})();
