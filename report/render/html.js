// Sorting and filtering for the ntlmscan HTML report. The page is complete
// without it: this only adds controls. No inline handlers (the page's
// Content-Security-Policy allows this script by its hash and nothing else).
(function () {
  "use strict";
  // A cell's sort key: data-sort when set (the verdict's rank, worst
  // first), else its text; numbers compare as numbers.
  function key(td) {
    var s = td ? td.getAttribute("data-sort") : "";
    if (s === null) s = td.textContent.trim();
    var n = Number(s.replace(/,/g, ""));
    return s !== "" && !isNaN(n) ? n : s.toLowerCase();
  }
  function compare(a, b) {
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return -1;
    if (typeof b === "number") return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  }
  function sortable(table) {
    var body = table.tBodies[0];
    var heads = table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads, function (th, col) {
      th.tabIndex = 0;
      th.classList.add("sort");
      th.title = "Sort by this column";
      function sort() {
        var dir = th.getAttribute("aria-sort") === "ascending" ? -1 : 1;
        Array.prototype.forEach.call(heads, function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        var keys = new Map();
        rows.forEach(function (r) { keys.set(r, key(r.cells[col])); });
        // Array sort is stable: equal keys keep their current order.
        rows.sort(function (a, b) { return dir * compare(keys.get(a), keys.get(b)); });
        var frag = document.createDocumentFragment();
        rows.forEach(function (r) { frag.appendChild(r); });
        body.appendChild(frag);
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (e) {
        if (e.key === "Enter" || e.key === " ") { e.preventDefault(); sort(); }
      });
    });
  }
  // The filter bar: a text box (matches the row's cells, not its collapsed
  // details) and one checkbox per verdict present in the table.
  function filterable(table) {
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    var text = new Map();
    var verdicts = [];
    var rank = {};
    rows.forEach(function (r) {
      var t = "";
      Array.prototype.forEach.call(r.cells, function (c) {
        if (!c.classList.contains("more")) t += " " + c.textContent;
      });
      text.set(r, t.toLowerCase());
      var v = r.getAttribute("data-v");
      if (v !== null && !(v in rank)) {
        var vc = r.querySelector("[data-sort]");
        rank[v] = vc ? Number(vc.getAttribute("data-sort")) : 99;
        verdicts.push(v);
      }
    });
    verdicts.sort(function (a, b) { return rank[a] - rank[b]; });
    var bar = document.createElement("div");
    bar.className = "filter";
    var box = document.createElement("input");
    box.type = "search";
    box.placeholder = "Filter rows";
    box.setAttribute("aria-label", "Filter the rows of this table");
    bar.appendChild(box);
    var shown = {};
    verdicts.forEach(function (v) {
      shown[v] = true;
      var label = document.createElement("label");
      var cb = document.createElement("input");
      cb.type = "checkbox";
      cb.checked = true;
      cb.value = v;
      cb.addEventListener("change", function () { shown[v] = cb.checked; apply(); });
      label.appendChild(cb);
      label.appendChild(document.createTextNode(" " + v));
      bar.appendChild(label);
    });
    var count = document.createElement("span");
    count.className = "count";
    bar.appendChild(count);
    function apply() {
      var q = box.value.trim().toLowerCase();
      var n = 0;
      rows.forEach(function (r) {
        var v = r.getAttribute("data-v");
        var hide = (q !== "" && text.get(r).indexOf(q) < 0) || (v !== null && !shown[v]);
        r.hidden = hide;
        if (!hide) n++;
      });
      count.textContent = n + " of " + rows.length + " rows";
    }
    box.addEventListener("input", apply);
    apply();
    var at = table.closest(".scroll") || table;
    at.parentNode.insertBefore(bar, at);
  }
  document.querySelectorAll("table.st").forEach(function (table) {
    if (!table.tHead || !table.tBodies.length) return;
    sortable(table);
    if (table.classList.contains("ft")) filterable(table);
  });
})();
