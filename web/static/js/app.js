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
