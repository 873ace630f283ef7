// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";
  // Copy buttons (recovery codes, TOTP secret).
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.getElementById(btn.getAttribute("data-copy"));
    if (!el || !navigator.clipboard) return;
    navigator.clipboard.writeText(el.textContent.trim()).then(function () {
      var done = btn.getAttribute("data-copied");
      if (done) { var old = btn.textContent; btn.textContent = done; setTimeout(function () { btn.textContent = old; }, 1500); }
    });
  });
  // Prevent double submission of a form (a double-click sends one request).
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form.dataset.submitted) { e.preventDefault(); return; }
    form.dataset.submitted = "1";
    setTimeout(function () { delete form.dataset.submitted; }, 5000);
  });
})();

// Create case: the form works without this file (every choice is in the
// HTML); here the product list gets a type-ahead filter, the version, OS and
// problem lists show only the options of the chosen product or category, the
// product fields hide for a portal issue, and too many or too large files
// are caught before anything is sent.
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };
  var fold = function (s) { return (s.normalize ? s.normalize("NFKC") : s).toLowerCase().replace(/\s+/g, " ").trim(); };

  // <select data-depends="PARENT-ID" data-by="product">: options carry
  // data-product (or data-category) naming the parent value they belong to.
  each(document.querySelectorAll("select[data-depends]"), function (child) {
    var parent = document.getElementById(child.getAttribute("data-depends"));
    var attr = "data-" + child.getAttribute("data-by");
    if (!parent) return;
    var sync = function () {
      var any = false, keep = false;
      each(child.querySelectorAll("option[" + attr + "]"), function (o) {
        var show = o.getAttribute(attr) === parent.value;
        o.hidden = !show;
        o.disabled = !show;
        if (show) { any = true; if (o.selected) keep = true; }
      });
      each(child.querySelectorAll("optgroup"), function (g) {
        var show = !!g.querySelector("option:not([hidden])");
        g.hidden = !show;
        g.disabled = !show;
      });
      if (!keep) child.value = "";
      child.disabled = !any;
    };
    parent.addEventListener("change", sync);
    sync();
  });

  // <input data-filter="SELECT-ID" data-none="MESSAGE-ID">: a type-ahead
  // filter over a long <select>; a single match is chosen.
  each(document.querySelectorAll("input[data-filter]"), function (input) {
    var select = document.getElementById(input.getAttribute("data-filter"));
    var none = document.getElementById(input.getAttribute("data-none"));
    if (!select) return;
    input.hidden = false;
    var hint = document.getElementById(input.getAttribute("aria-describedby"));
    if (hint) hint.hidden = false;
    input.addEventListener("input", function () {
      var q = fold(input.value), shown = [];
      each(select.options, function (o) {
        if (!o.value) return;
        var show = !q || fold(o.textContent).indexOf(q) >= 0;
        o.hidden = !show;
        o.disabled = !show && !o.selected;
        if (show) shown.push(o);
      });
      if (none) none.hidden = shown.length > 0;
      if (shown.length === 1 && select.value !== shown[0].value) {
        select.value = shown[0].value;
        select.dispatchEvent(new Event("change"));
      }
    });
    // Enter in the search box must not submit the form.
    input.addEventListener("keydown", function (e) { if (e.key === "Enter") { e.preventDefault(); select.focus(); } });
  });

  // Radios [data-case-type]: the product fields matter for product issues only.
  var radios = document.querySelectorAll("input[data-case-type]");
  var fields = document.querySelector("[data-for-type]");
  if (radios.length && fields) {
    var toggle = function () {
      var checked = document.querySelector("input[data-case-type]:checked");
      fields.hidden = !!checked && checked.value !== fields.getAttribute("data-for-type");
    };
    each(radios, function (r) { r.addEventListener("change", toggle); });
    toggle();
  }

  // <input type=file data-max-files data-max-size data-error>: refuse a
  // choice the server would refuse, so the typed form is not sent for nothing.
  each(document.querySelectorAll("input[type=file][data-max-files]"), function (input) {
    var out = document.getElementById(input.getAttribute("data-error"));
    input.addEventListener("change", function () {
      var max = +input.getAttribute("data-max-files"), size = +input.getAttribute("data-max-size"), msg = "";
      if (input.files.length > max) msg = input.getAttribute("data-too-many");
      each(input.files, function (f) {
        if (!msg && size && f.size > size) msg = input.getAttribute("data-too-large").replace("{name}", f.name);
      });
      if (out) { out.textContent = msg; out.hidden = !msg; }
      input.setAttribute("aria-invalid", msg ? "true" : "false");
      if (msg) input.value = "";
    });
  });
})();
