// newsbeam report: draws the figures embedded as JSON in #report-data as SVG charts and tables.
// Every value from the data goes into the page through textContent or setAttribute, never as
// markup. Each chart section gets data-state="drawn" (or "empty" when there is nothing to show,
// or "error"), which the browser test checks.
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var PALETTE = ["#2f6fb0", "#d9822b", "#3d9970", "#c23b3b", "#7b5ea7", "#8c6d46", "#d45fa0", "#6b7b8c",
                 "#a8a82e", "#1fa2b5", "#5c8ee0", "#f0a35e", "#6cc08b", "#e07070", "#a68bd0", "#b89b74",
                 "#e59cc8", "#9aa5b1"];
  var topicColour = {};
  data.topic_order.forEach(function (slug, i) { topicColour[slug] = PALETTE[i % PALETTE.length]; });
  topicColour.unknown = "#c5ccd3";

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function svgEl(tag, attrs, text) {
    var node = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    return node;
  }
  function fmt(n) { return n === null || n === undefined ? "–" : Number(n).toLocaleString("en-US"); }
  function clip(s, n) { s = s === null || s === undefined ? "" : String(s); return s.length > n ? s.slice(0, n - 1) + "…" : s; }
  function tip(node, text) { node.appendChild(svgEl("title", {}, text)); return node; }

  // Horizontal bars: rows of {name, n}; colourOf(row) optional; note(row) adds text after the label.
  function hbars(rows, colourOf, labelOf) {
    var width = 640, label = 190, row = 22, max = 1;
    rows.forEach(function (r) { max = Math.max(max, r.n); });
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + (rows.length * row + 4), "class": "hbars", role: "img" });
    rows.forEach(function (r, i) {
      var y = i * row + 2, w = Math.max(1, (width - label - 70) * r.n / max);
      var name = labelOf ? labelOf(r) : r.name;
      svg.appendChild(tip(svgEl("text", { x: label - 6, y: y + 15, "text-anchor": "end" }, clip(name, 28)), name));
      svg.appendChild(tip(svgEl("rect", { x: label, y: y + 3, width: w, height: row - 6, rx: 2,
                                           fill: colourOf ? colourOf(r) : "#2f6fb0", "class": "mark" }),
                          name + ": " + fmt(r.n)));
      svg.appendChild(svgEl("text", { x: label + w + 5, y: y + 15, "class": "muted" }, fmt(r.n)));
    });
    return svg;
  }

  // Stacked columns: buckets (x) by topic (stack).
  // Tick values 0..max on a 1-2-5 step, whole numbers only.
  function ticks(max) {
    var raw = max / 4, mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    var step = [1, 2, 5, 10].map(function (m) { return m * mag; }).filter(function (s) { return s >= raw; })[0] || mag * 10;
    step = Math.max(1, Math.round(step));
    var out = [];
    for (var v = 0; v <= max + step * 0.999; v += step) { out.push(v); }
    return out;
  }

  function stackedColumns(rows, fixedOrder) {
    var buckets = [], byBucket = {}, topics = {};
    rows.forEach(function (r) {
      if (!(r.bucket in byBucket)) { byBucket[r.bucket] = {}; buckets.push(r.bucket); }
      byBucket[r.bucket][r.topic] = (byBucket[r.bucket][r.topic] || 0) + r.n;
      topics[r.topic] = true;
    });
    var order = (fixedOrder || data.topic_order).filter(function (t) { return topics[t]; });
    Object.keys(topics).sort().forEach(function (t) { if (order.indexOf(t) < 0) { order.push(t); } });
    var width = 1100, height = 260, left = 52, bottom = 40, top = 8;
    var max = 1;
    buckets.forEach(function (b) {
      var total = 0; order.forEach(function (t) { total += byBucket[b][t] || 0; }); max = Math.max(max, total);
    });
    var svg = svgEl("svg", { viewBox: "0 0 " + width + " " + height, role: "img" });
    var marks = ticks(max);
    max = marks[marks.length - 1];
    var plotH = height - bottom - top, step = (width - left - 8) / buckets.length, barW = Math.max(1, Math.min(step * 0.8, 120));
    marks.forEach(function (v) {
      var y = top + plotH - plotH * v / max;
      svg.appendChild(svgEl("line", { x1: left, x2: width - 4, y1: y, y2: y, "class": "axis" }));
      svg.appendChild(svgEl("text", { x: left - 6, y: y + 4, "text-anchor": "end", "class": "muted" }, fmt(v)));
    });
    var labelEvery = Math.max(1, Math.ceil(buckets.length / 12));
    buckets.forEach(function (b, i) {
      var x = left + i * step + (step - barW) / 2, y = top + plotH, total = 0;
      order.forEach(function (t) {
        var n = byBucket[b][t] || 0;
        if (!n) { return; }
        var h = plotH * n / max;
        y -= h; total += n;
        svg.appendChild(tip(svgEl("rect", { x: x, y: y, width: barW, height: Math.max(h, 0.5), fill: topicColour[t] || "#9aa5b1", "class": "mark" }),
                            b + " · " + t + ": " + fmt(n)));
      });
      if (i % labelEvery === 0) {
        svg.appendChild(svgEl("text", { x: x + barW / 2, y: height - bottom + 16, "text-anchor": "middle", "class": "muted" }, b));
      }
    });
    var wrap = el("div");
    wrap.appendChild(svg);
    var legend = el("div", { "class": "legend" });
    order.forEach(function (t) {
      var item = el("span", {}, t);
      item.style.setProperty("--swatch", topicColour[t] || "#9aa5b1");
      legend.appendChild(item);
    });
    wrap.appendChild(legend);
    return wrap;
  }

  function inlineBar(n, max, colour) {
    var svg = svgEl("svg", { viewBox: "0 0 100 10", "class": "bar", preserveAspectRatio: "none" });
    svg.appendChild(svgEl("rect", { x: 0, y: 1, width: Math.max(1, 100 * n / Math.max(1, max)), height: 8, fill: colour || "#2f6fb0", "class": "mark" }));
    return svg;
  }

  function table(columns, rows) {
    var t = el("table"), head = el("tr");
    columns.forEach(function (c) { head.appendChild(el("th", { "class": c.num ? "num" : "" }, c.label)); });
    t.appendChild(el("thead")).appendChild(head);
    var body = t.appendChild(el("tbody"));
    rows.forEach(function (r) {
      var tr = body.appendChild(el("tr"));
      columns.forEach(function (c) {
        var td = tr.appendChild(el("td", { "class": c.num ? "num" : "" }));
        var value = c.cell(r);
        if (value instanceof Node) { td.appendChild(value); } else { td.textContent = value === null || value === undefined ? "" : String(value); }
      });
    });
    return t;
  }

  function draw(name, build) {
    var section = document.querySelector('[data-chart="' + name + '"]');
    var target = section.querySelector(".chart");
    try {
      var content = build();
      if (!content) {
        target.appendChild(el("p", { "class": "empty" }, "nothing to show"));
        section.setAttribute("data-state", "empty");
        return;
      }
      target.appendChild(content);
      section.setAttribute("data-state", "drawn");
    } catch (err) {
      section.setAttribute("data-state", "error");
      target.appendChild(el("p", { "class": "bad" }, "could not draw: " + err));
      throw err;
    }
  }

  // --- the page ---
  document.getElementById("where").textContent = data.output + " · generated " + data.generated_at +
    (data.dates.first ? " · dates " + data.dates.first + " to " + data.dates.last : "");

  var figures = document.getElementById("figures");
  var methods = {};
  data.methods.forEach(function (m) { methods[m.name] = m.n; });
  var lastRun = data.runs.length ? data.runs[data.runs.length - 1] : null;
  [
    ["articles", data.counts.articles, data.sites.length ? data.sites.length + (data.sites.length >= 20 ? "+" : "") + " sites" : ""],
    ["duplicates", data.counts.duplicates, "exact " + fmt(methods.exact || 0) + " · near " + fmt(methods.near || 0)],
    ["dead letters", data.counts.dead_letter, data.dead_letter_stages.map(function (s) { return s.name + " " + fmt(s.n); }).join(" · ")],
    ["topics", data.topics.length, data.topics.length ? "most: " + data.topics[0].name : ""],
    ["languages", data.languages.length, data.languages.length ? "most: " + data.languages[0].name : ""],
    ["runs", data.runs.length, lastRun ? "last " + lastRun.run_id : ""]
  ].forEach(function (f) {
    var box = figures.appendChild(el("div", { "class": "figure" }));
    box.appendChild(el("div", { "class": "value" }, fmt(f[1])));
    box.appendChild(el("div", { "class": "label" }, f[0]));
    box.appendChild(el("div", { "class": "detail" }, f[2]));
  });

  var unitTitle = { day: "day", week: "week", month: "month", year: "year" }[data.dates.unit] || "day";
  document.getElementById("over-time-title").textContent = "Articles per " + unitTitle + ", by topic";
  draw("over-time", function () { return data.over_time.length ? stackedColumns(data.over_time) : null; });
  draw("topics", function () {
    return data.topics.length ? hbars(data.topics, function (r) { return topicColour[r.name] || "#9aa5b1"; }) : null;
  });
  draw("languages", function () { return data.languages.length ? hbars(data.languages) : null; });
  draw("cities", function () {
    return data.cities.length ? hbars(data.cities, null, function (r) { return r.name + (r.country ? " (" + r.country + ")" : ""); }) : null;
  });
  draw("sites", function () { return data.sites.length ? hbars(data.sites) : null; });
  draw("clusters", function () {
    if (!data.clusters.length) { return null; }
    var max = data.clusters[0].copies;
    return table([
      { label: "story", cell: function (r) { return r.title || "(untitled) " + (r.source_uri || r.id); } },
      { label: "copies", num: true, cell: function (r) {
        var span = el("span"); span.appendChild(inlineBar(r.copies, max)); span.appendChild(document.createTextNode(" " + fmt(r.copies))); return span; } },
      { label: "near", num: true, cell: function (r) { return fmt(r.near); } },
      { label: "sites", cell: function (r) { return r.sites.join(", "); } },
      { label: "first seen", cell: function (r) { return r.first_seen || ""; } }
    ], data.clusters);
  });
  draw("dead-letters", function () {
    if (!data.dead_letter.length) { return null; }
    var wrap = el("div");
    wrap.appendChild(hbars(data.dead_letter.map(function (r) { return { name: r.stage + ": " + r.reason, n: r.n }; }), function () { return "#c23b3b"; }));
    wrap.appendChild(table([
      { label: "stage", cell: function (r) { return r.stage; } },
      { label: "error", cell: function (r) { return r.error_type; } },
      { label: "reason", cell: function (r) { return r.reason; } },
      { label: "rows", num: true, cell: function (r) { return fmt(r.n); } },
      { label: "example", cell: function (r) {
        var box = el("div");
        box.appendChild(el("div", {}, r.message || ""));
        box.appendChild(el("code", {}, r.source_uri + (r.record_index === null || r.record_index === undefined ? "" : " #" + r.record_index)));
        if (r.excerpt) { box.appendChild(el("div", { "class": "excerpt" }, r.excerpt)); }
        return box; } }
    ], data.dead_letter));
    return wrap;
  });
  draw("runs", function () {
    if (!data.runs.length) { return null; }
    var wrap = el("div"), rows = [];
    data.runs.forEach(function (r) {
      rows.push({ bucket: r.run_id, topic: "articles", n: r.articles || 0 });
      rows.push({ bucket: r.run_id, topic: "duplicates", n: r.duplicates || 0 });
      rows.push({ bucket: r.run_id, topic: "dead letters", n: r.dead_letter || 0 });
    });
    topicColour.articles = "#2f6fb0"; topicColour.duplicates = "#d9822b"; topicColour["dead letters"] = "#c23b3b";
    wrap.appendChild(stackedColumns(rows, ["articles", "duplicates", "dead letters"]));
    wrap.appendChild(table([
      { label: "run", cell: function (r) { return r.run_id; } },
      { label: "started", cell: function (r) { return r.started_at || ""; } },
      { label: "seconds", num: true, cell: function (r) { return r.duration_s === null || r.duration_s === undefined ? "–" : Number(r.duration_s).toFixed(1); } },
      { label: "files", num: true, cell: function (r) { return fmt(r.files); } },
      { label: "records", num: true, cell: function (r) { return fmt(r.records); } },
      { label: "articles", num: true, cell: function (r) { return fmt(r.articles); } },
      { label: "duplicates", num: true, cell: function (r) { return fmt(r.duplicates); } },
      { label: "dead letters", num: true, cell: function (r) { return fmt(r.dead_letter); } },
      { label: "accounting", cell: function (r) { return r.balanced === false ? "NOT balanced" : (r.balanced ? "balanced" : "–"); } }
    ], data.runs.slice().reverse()));
    return wrap;
  });
  document.body.setAttribute("data-report", "done");
}());
