// Live updates: a page that names an event stream in data-live-src takes in
// new activity without a reload. An event only says "something changed"; the
// page then fetches itself (the server filters what this viewer may see) and
// swaps in the contents of each element marked data-live-region that has an
// id. Regions holding a field being edited are left alone until it is done.
// Pages without data-live-src are untouched; without JavaScript, pages
// simply show what they had when loaded.
(function () {
  "use strict";
  var host = document.querySelector("[data-live-src]");
  if (!host || !window.EventSource || !window.fetch || !window.DOMParser) return;

  var src = host.getAttribute("data-live-src");
  var page = host.getAttribute("data-live-page") || location.href;
  var updatedText = host.getAttribute("data-live-updated") || "";
  var debounceMs = 300;
  // A busy queue changes many times a second: refetch at most this often.
  var minGapMs = parseInt(host.getAttribute("data-live-min-interval"), 10) || 2000;
  // Browsers open at most six HTTP/1.1 connections per site; a hidden tab
  // gives its stream back soon, so that open tabs cannot starve the others.
  var hiddenCloseMs = 60 * 1000;

  // A polite announcement for screen readers.
  var announcer = document.createElement("div");
  announcer.className = "visually-hidden";
  announcer.setAttribute("role", "status");
  announcer.setAttribute("aria-live", "polite");
  announcer.id = "live-status";
  document.body.appendChild(announcer);

  var lastRun = 0;
  var es = null, timer = 0, hiddenTimer = 0, busy = false, again = false, dropped = false, stopped = false;

  function editing(region) {
    var a = document.activeElement;
    if (a && a !== document.body && region.contains(a) && /^(INPUT|TEXTAREA|SELECT)$/.test(a.tagName)) return true;
    var fields = region.querySelectorAll("input, textarea, select");
    for (var i = 0; i < fields.length; i++) {
      var f = fields[i];
      if (f.tagName === "SELECT") {
        for (var j = 0; j < f.options.length; j++) {
          if (f.options[j].selected !== f.options[j].defaultSelected) return true;
        }
      } else if (f.type === "checkbox" || f.type === "radio") {
        if (f.checked !== f.defaultChecked) return true;
      } else if (f.type !== "hidden" && f.type !== "file" && f.value !== f.defaultValue) {
        return true;
      } else if (f.type === "file" && f.files && f.files.length) {
        return true;
      }
    }
    return false;
  }

  function apply(doc) {
    var changed = false, pending = false;
    var regions = document.querySelectorAll("[data-live-region][id]");
    for (var i = 0; i < regions.length; i++) {
      var region = regions[i];
      var fresh = doc.getElementById(region.id);
      if (!fresh || fresh.innerHTML === region.innerHTML) continue;
      if (editing(region)) { pending = true; continue; }
      var nodes = [];
      for (var n = fresh.firstChild; n; n = n.nextSibling) nodes.push(document.importNode(n, true));
      region.replaceChildren.apply(region, nodes);
      changed = true;
    }
    if (!pending) {
      // Forms marked data-live-version (a comment box: it overwrites nothing)
      // take the version of the case just shown, so that sending a reply to
      // what the page now shows is not refused as a stale form.
      var forms = document.querySelectorAll("form[data-live-version][id]");
      for (var k = 0; k < forms.length; k++) {
        var mine = forms[k].querySelector('input[name="version"]');
        var theirs = doc.getElementById(forms[k].id);
        theirs = theirs && theirs.querySelector('input[name="version"]');
        if (mine && theirs) mine.value = theirs.value;
      }
    }
    if (changed && updatedText) {
      // Clearing first makes a repeated text be announced again.
      announcer.textContent = "";
      setTimeout(function () { announcer.textContent = updatedText; }, 50);
    }
    return pending;
  }

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    lastRun = Date.now();
    fetch(page, { credentials: "same-origin", headers: { "Accept": "text/html", "X-Live-Refresh": "1" }, cache: "no-store" })
      .then(function (res) {
        // A redirect means the session ended (the sign-in page): stop.
        if (res.redirected || !res.ok) { if (res.redirected || res.status === 404) stop(); return null; }
        return res.text();
      })
      .then(function (html) {
        if (html === null) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        if (apply(doc)) {
          // A region was being edited: look again once the person leaves it.
          document.addEventListener("focusout", later, { once: true });
        }
      })
      .catch(function () { /* the next event tries again */ })
      .then(function () {
        busy = false;
        if (again) { again = false; later(); }
      });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(refresh, Math.max(debounceMs, lastRun + minGapMs - Date.now()));
  }

  function open() {
    if (stopped || es) return;
    es = new EventSource(src);
    es.onmessage = later;
    es.onopen = function () {
      host.setAttribute("data-live-state", "open");
      // Events sent while disconnected were missed: look once.
      if (dropped) { dropped = false; later(); }
    };
    es.onerror = function () {
      dropped = true;
      host.setAttribute("data-live-state", "reconnecting");
      // The browser reconnects by itself unless the stream was refused.
      if (es && es.readyState === EventSource.CLOSED) { es = null; host.setAttribute("data-live-state", "closed"); }
    };
    // The session ended: the page stays as it is.
    es.addEventListener("end", stop);
  }

  // data-live-state tells tests (and styles, if ever wanted) where the
  // stream stands: open, reconnecting, closed.
  function close() {
    if (es) { es.close(); es = null; dropped = true; }
    host.setAttribute("data-live-state", "closed");
  }

  function stop() {
    stopped = true;
    close();
  }

  // A tab hidden for long gives its connection back; it catches up on return.
  document.addEventListener("visibilitychange", function () {
    if (document.hidden) {
      clearTimeout(hiddenTimer);
      hiddenTimer = setTimeout(close, hiddenCloseMs);
    } else {
      clearTimeout(hiddenTimer);
      if (!es && !stopped) { open(); }
    }
  });

  open();
})();
