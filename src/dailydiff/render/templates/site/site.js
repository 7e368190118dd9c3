/* dailydiff site: progressive enhancement only. Pages read fully without this script; it reveals the
   filter and search forms. Untrusted text is only ever put in the page with textContent. */
(function () {
  "use strict";

  function each(list, fn) { Array.prototype.forEach.call(list, fn); }
  function fmt(template, values) {
    return template.replace(/\{(\w+)\}/g, function (m, k) { return k in values ? String(values[k]) : m; });
  }

  function setupFilters(form) {
    var items = document.querySelectorAll("[data-sha]");
    var commits = document.querySelectorAll("article.commit");
    var showing = form.querySelector(".showing");
    function checked(name) {
      var out = {};
      each(form.querySelectorAll("input[name=" + name + "]"), function (i) { if (i.checked) out[i.value] = true; });
      return out;
    }
    function apply() {
      var levels = checked("level"), types = checked("type"), watch = checked("watch")["1"] === true;
      var typeBoxes = form.querySelectorAll("input[name=type]").length;
      each(items, function (el) {
        var ok = levels[el.getAttribute("data-level")] === true;
        if (ok && typeBoxes) {
          var own = (el.getAttribute("data-types") || "").split(" ").filter(Boolean);
          ok = own.length === 0 ? true : own.some(function (t) { return types[t] === true; });
        }
        if (ok && watch) ok = el.getAttribute("data-watch") === "1";
        el.hidden = !ok;
      });
      each(document.querySelectorAll("[data-group]"), function (g) {
        var visible = g.querySelector("[data-sha]:not([hidden])");
        g.hidden = !visible;
      });
      var shown = 0;
      each(commits, function (c) { if (!c.hidden) shown += 1; });
      if (showing) showing.textContent = fmt(form.getAttribute("data-label-showing") || "", { shown: shown, total: commits.length });
    }
    form.addEventListener("change", apply);
    each(form.querySelectorAll("button[data-preset]"), function (b) {
      b.addEventListener("click", function () {
        var preset = b.getAttribute("data-preset");
        each(form.querySelectorAll("input[name=level]"), function (i) { i.checked = preset === "all" || i.value === preset; });
        if (preset === "all") each(form.querySelectorAll("input[type=checkbox]"), function (i) { i.checked = i.name !== "watch"; });
        apply();
      });
    });
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    // Opening a permalink to a commit that a filter hides would show nothing: reveal it.
    window.addEventListener("hashchange", function () {
      var target = document.getElementById(decodeURIComponent(location.hash.slice(1)));
      if (target && target.hidden) { form.querySelector("[data-preset=all]").click(); target.scrollIntoView(); }
    });
    apply();
  }

  function setupSearch(form) {
    var data = window.DAILYDIFF_SEARCH || [];
    var input = form.querySelector("input[name=q]");
    var status = document.getElementById("search-status");
    var list = document.getElementById("search-results");
    var limit = 100;
    var haystacks = data.map(function (e) { return (e[2] + "\n" + e[3] + "\n" + e[4] + "\n" + e[0] + "\n" + e[7]).toLowerCase(); });
    function run() {
      var terms = input.value.toLowerCase().split(/\s+/).filter(Boolean);
      while (list.firstChild) list.removeChild(list.firstChild);
      if (!terms.length) { status.textContent = ""; return; }
      var found = [];
      for (var i = 0; i < data.length; i++) {
        var h = haystacks[i];
        if (terms.every(function (t) { return h.indexOf(t) !== -1; })) found.push(data[i]);
      }
      status.textContent = found.length ? fmt(form.getAttribute("data-label-results"), { n: found.length }) : form.getAttribute("data-label-none");
      if (found.length > limit) status.textContent += " " + fmt(form.getAttribute("data-label-more"), { n: limit });
      found.slice(0, limit).forEach(function (e) {
        var li = document.createElement("li");
        li.className = "level-" + e[5];
        var a = document.createElement("a");
        a.href = e[6];
        withCode(a, e[2]);
        var dot = document.createElement("span");
        dot.className = "dot";
        li.appendChild(dot);
        li.appendChild(a);
        var where = document.createElement("div");
        where.className = "where";
        where.textContent = e[0] + " · " + e[1] + " · " + e[3] + " · " + e[7];
        li.appendChild(where);
        if (e[4]) {
          var p = document.createElement("p");
          p.className = "summary";
          withCode(p, e[4]);
          li.appendChild(p);
        }
        list.appendChild(li);
      });
    }
    var initial = new URLSearchParams(location.search).get("q");
    if (initial) input.value = initial;
    input.addEventListener("input", run);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      run();
      try { history.replaceState(null, "", "?q=" + encodeURIComponent(input.value)); } catch (err) { /* file:// */ }
    });
    run();
  }

  // Text with `code` spans, as the pages show it: the spans become <code>, every piece set as textContent.
  function withCode(el, text) {
    var parts = String(text).split(/`([^`\n]+)`/);
    for (var i = 0; i < parts.length; i++) {
      if (!parts[i]) continue;
      if (i % 2) {
        var code = document.createElement("code");
        code.textContent = parts[i];
        el.appendChild(code);
      } else {
        el.appendChild(document.createTextNode(parts[i]));
      }
    }
  }

  function init() {
    each(document.querySelectorAll("[data-enhance]"), function (el) { el.hidden = false; });
    var filters = document.getElementById("filters");
    if (filters) setupFilters(filters);
    var search = document.getElementById("search");
    if (search) setupSearch(search);
  }

  // DOMContentLoaded fires after every deferred script ran, so the search index is there by then.
  if (document.readyState === "complete") init();
  else document.addEventListener("DOMContentLoaded", init);
})();
