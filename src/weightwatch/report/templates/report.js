"use strict";
/* weightwatch report: filter and page through every response. Model text is only ever set with
   textContent (never innerHTML), so it shows as text whatever it contains. */
(function () {
  var PAGE = 50;
  var raw = JSON.parse(document.getElementById("ww-data").textContent);
  var cols = raw.columns, rows = raw.rows, C = {};
  cols.forEach(function (c, i) { C[c] = i; });
  var hay = rows.map(function (r) {
    return [r[C.item], r[C.variant], r[C.prompt], r[C.response], r[C.reasoning], r[C.findings], r[C.flags],
            r[C.facts], r[C.judges], r[C.extra], r[C.error], r[C.label]].join("\n").toLowerCase();
  });
  var selects = Array.prototype.slice.call(document.querySelectorAll("#filters select"));
  var q = document.getElementById("q");
  var body = document.getElementById("rows-body");
  var count = document.getElementById("count");
  var prev = document.getElementById("prev"), next = document.getElementById("next");
  var page = 0, shown = [];

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    if (cls) { e.className = cls; }
    return e;
  }
  selects.forEach(function (s) {
    var seen = {}, vals = [];
    rows.forEach(function (r) { var v = r[C[s.dataset.col]]; if (v !== "" && v !== null && !seen[v]) { seen[v] = 1; vals.push(String(v)); } });
    vals.sort();
    vals.forEach(function (v) { var o = el("option", v); o.value = v; s.appendChild(o); });
    if (vals.length < 2) { s.parentNode.hidden = vals.length === 0; }
    s.addEventListener("change", function () { page = 0; apply(); });
  });
  var timer = null;
  q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(function () { page = 0; apply(); }, 120); });
  prev.addEventListener("click", function () { if (page > 0) { page--; draw(); } });
  next.addEventListener("click", function () { if ((page + 1) * PAGE < shown.length) { page++; draw(); } });

  function apply() {
    var want = selects.map(function (s) { return [C[s.dataset.col], s.value]; }).filter(function (w) { return w[1] !== ""; });
    var terms = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    shown = [];
    for (var i = 0; i < rows.length; i++) {
      var r = rows[i], ok = true;
      for (var j = 0; j < want.length && ok; j++) { ok = String(r[want[j][0]]) === want[j][1]; }
      for (var k = 0; k < terms.length && ok; k++) { ok = hay[i].indexOf(terms[k]) !== -1; }
      if (ok) { shown.push(i); }
    }
    draw();
  }
  function clip(s, n) { s = s || ""; return s.length > n ? s.slice(0, n) + "…" : s; }
  function detail(r) {
    var tr = el("tr", null, "detail"), td = el("td");
    td.colSpan = 10;
    [["prompt", C.prompt], ["response", C.response], ["reasoning", C.reasoning], ["error", C.error]].forEach(function (p) {
      var v = r[p[1]];
      if (v) { td.appendChild(el("div", p[0], "dk")); td.appendChild(el("pre", v, "txt")); }
    });
    [["verdicts", C.judges], ["facts covered", C.facts], ["flags matched", C.flags], ["scanner findings", C.findings],
     ["more", C.extra], ["item / variant / sample", null]].forEach(function (p) {
      var v = p[1] === null ? r[C.item] + " / " + (r[C.variant] || "–") + " / " + r[C.sample] : r[p[1]];
      if (v) { var d = el("div"); d.appendChild(el("span", p[0] + ": ", "dk")); d.appendChild(el("span", v)); td.appendChild(d); }
    });
    tr.appendChild(td);
    return tr;
  }
  function draw() {
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var start = page * PAGE, end = Math.min(shown.length, start + PAGE);
    var frag = document.createDocumentFragment();
    for (var i = start; i < end; i++) {
      var r = rows[shown[i]], tr = el("tr", null, "r");
      tr.appendChild(el("td", r[C.target]));
      tr.appendChild(el("td", r[C.probe]));
      tr.appendChild(el("td", r[C.item] + (r[C.variant] ? " · " + r[C.variant] : "") + (r[C.sample] ? " #" + r[C.sample] : "")));
      tr.appendChild(el("td", r[C.topic]));
      tr.appendChild(el("td", r[C.language]));
      tr.appendChild(el("td", r[C.condition]));
      var lt = el("td"), lab = el("span", r[C.label] || "–", "lab lab-" + String(r[C.label]).replace(/[^a-z_-]/gi, ""));
      lt.appendChild(lab); tr.appendChild(lt);
      tr.appendChild(el("td", clip(r[C.judges], 80)));
      tr.appendChild(el("td", clip([r[C.facts], r[C.flags], r[C.findings]].filter(Boolean).join(" | "), 160)));
      tr.appendChild(el("td", clip(r[C.error] ? "ERROR: " + r[C.error] : r[C.response], 220), "resp"));
      (function (row, trow) {
        trow.addEventListener("click", function () {
          var nx = trow.nextSibling;
          if (nx && nx.className === "detail") { body.removeChild(nx); trow.classList.remove("open"); }
          else { body.insertBefore(detail(row), trow.nextSibling); trow.classList.add("open"); }
        });
      })(r, tr);
      frag.appendChild(tr);
    }
    body.appendChild(frag);
    count.textContent = shown.length ? (start + 1) + "–" + end + " of " + shown.length + " shown (" + rows.length + " in this run)"
                                     : "no response matches (" + rows.length + " in this run)";
    count.dataset.count = String(shown.length);
    prev.disabled = page === 0;
    next.disabled = end >= shown.length;
  }
  apply();
})();
