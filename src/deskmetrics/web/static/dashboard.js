/* deskmetrics dashboard: sortable tables and Plotly charts (progressive: pages work without). */
(function () {
  "use strict";

  // --- sortable tables: click a header; numbers sort by their raw value (data-value)
  function sortTable(table, th) {
    var idx = Array.prototype.indexOf.call(th.parentNode.children, th);
    var numeric = th.dataset.type === "number";
    var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
    if (!numeric && !th.hasAttribute("aria-sort")) dir = "ascending";
    th.parentNode.querySelectorAll("th").forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", dir);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) { return r.cells.length > idx; });
    rows.sort(function (a, b) {
      var x = a.cells[idx].dataset.value, y = b.cells[idx].dataset.value;
      var cmp;
      if (numeric) {
        var fx = x === "" ? NaN : parseFloat(x), fy = y === "" ? NaN : parseFloat(y);
        if (isNaN(fx) && isNaN(fy)) cmp = 0;
        else if (isNaN(fx)) return 1;      // empty cells last either way
        else if (isNaN(fy)) return -1;
        else cmp = fx - fy;
      } else {
        cmp = String(x).localeCompare(String(y), undefined, { numeric: true });
      }
      return dir === "ascending" ? cmp : -cmp;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll("table.data.sortable").forEach(function (table) {
    table.querySelectorAll("th.sortable").forEach(function (th) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortTable(table, th); });
      th.addEventListener("keydown", function (e) { if (e.key === "Enter") sortTable(table, th); });
    });
  });

  // --- a filter dropdown closes when another opens or on a click elsewhere
  var dds = document.querySelectorAll("details.dd");
  dds.forEach(function (d) {
    d.addEventListener("toggle", function () {
      if (d.open) dds.forEach(function (o) { if (o !== d) o.open = false; });
    });
  });
  document.addEventListener("click", function (e) {
    dds.forEach(function (d) { if (d.open && !d.contains(e.target)) d.open = false; });
  });

  // --- "Back" returns to the page the reader came from (no inline script: the CSP forbids it);
  // opened directly, the link's own target (the overview with the same scope) is followed
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (history.length > 1 && document.referrer.indexOf(location.origin + "/") === 0) {
        e.preventDefault();
        history.back();
      }
    });
  });

  // --- charts
  var dataTag = document.getElementById("chart-data");
  if (!dataTag || typeof Plotly === "undefined") return;
  var data = JSON.parse(dataTag.textContent);
  var ACCENT = "#2f5bea", SOFT = "rgba(47,91,234,.14)", GREY = "#8a94a3";
  var layoutBase = {
    margin: { l: 52, r: 12, t: 8, b: 36 },
    paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: "#1d2330" },
    xaxis: { gridcolor: "#eef0f3", linecolor: "#e2e5ea" },
    yaxis: { gridcolor: "#eef0f3", zerolinecolor: "#e2e5ea", rangemode: "tozero" },
    legend: { orientation: "h", y: 1.12, x: 0 },
    hovermode: "x unified", showlegend: false,
  };
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  function hours(v) { return v === null ? null : v / 60; }
  function clone(o) { return JSON.parse(JSON.stringify(o)); }

  function seriesChart(c) {
    var el = document.getElementById("chart-" + c.id);
    if (!el) return;
    el.innerHTML = "";
    var scale = c.unit === "minutes" ? hours : function (v) { return v; };
    var suffix = c.unit === "minutes" ? " h" : c.unit === "percent" ? "%" : "";
    var traces = [];
    var layout = clone(layoutBase);
    if (c.lo.some(function (v) { return v !== null; })) {
      traces.push({ x: c.x, y: c.hi.map(scale), mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false });
      traces.push({ x: c.x, y: c.lo.map(scale), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: SOFT, name: "95% interval", hoverinfo: "skip" });
    }
    if (c.p90.some(function (v) { return v !== null; })) {
      traces.push({ x: c.x, y: c.p90.map(scale), mode: "lines", name: "p90", line: { color: GREY, dash: "dot", width: 1.5 }, hovertemplate: "p90 %{y:.1f}" + suffix + "<extra></extra>" });
      traces.push({ x: c.x, y: c.p50.map(scale), mode: "lines", name: "median", line: { color: "#13795b", width: 1.5 }, hovertemplate: "median %{y:.1f}" + suffix + "<extra></extra>" });
      layout.showlegend = true;
    }
    var kind = c.unit === "count" ? "bar" : "scatter";
    traces.push({
      x: c.x, y: c.y.map(scale), type: kind, mode: "lines+markers", name: c.unit === "count" ? c.title : "mean",
      marker: { color: ACCENT, size: 5 }, line: { color: ACCENT, width: 2.2 },
      customdata: c.n, hovertemplate: "%{y:.1f}" + suffix + " (n=%{customdata})<extra></extra>",
    });
    layout.yaxis.ticksuffix = suffix;
    if (c.unit === "percent") layout.yaxis.rangemode = "normal";
    Plotly.newPlot(el, traces, layout, config);
    el.on("plotly_click", function (ev) {
      var i = ev.points && ev.points[0] ? ev.points[0].pointIndex : -1;
      if (i >= 0 && c.links[i]) window.location.href = c.links[i];
    });
  }

  if (Array.isArray(data)) data.forEach(seriesChart);
  if (data.staffing) {
    var sel = document.getElementById("chart-staffing");
    if (sel) {
      sel.innerHTML = "";
      var s = data.staffing;
      var lay = clone(layoutBase);
      lay.showlegend = true;
      Plotly.newPlot(sel, [
        { x: s.history_x, y: s.history_y, mode: "lines", name: "history", line: { color: GREY, width: 1.2 },
          hovertemplate: "%{y:.0f} contacts<extra>history</extra>" },
        { x: s.forecast_x, y: s.forecast_y, mode: "lines", name: "forecast", line: { color: ACCENT, width: 2 },
          customdata: s.agents, hovertemplate: "%{y:.1f} contacts, %{customdata} agents<extra>forecast</extra>" },
      ], lay, config);
    }
  }
  if (data.csat) seriesChart(data.csat);
  if (data.nps) {
    var el = document.getElementById("chart-nps");
    if (el) {
      el.innerHTML = "";
      var colours = data.nps.group.map(function (g) {
        return g === "promoter" ? "#13795b" : g === "passive" ? "#c9a227" : "#c0392b";
      });
      var layout = clone(layoutBase);
      layout.xaxis.dtick = 1; layout.hovermode = "closest";
      Plotly.newPlot(el, [{ x: data.nps.x, y: data.nps.y, type: "bar", marker: { color: colours },
        hovertemplate: "score %{x}: %{y} answers<extra></extra>" }], layout, config);
    }
  }
})();
