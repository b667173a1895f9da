/* deskmetrics dashboard: the phone menu, sortable tables and Plotly charts (progressive: pages
   work without). Loaded once by base.html; a second copy does nothing. */
(function () {
  "use strict";
  if (window.deskmetricsReady) return;
  window.deskmetricsReady = true;

  // --- the navigation as a menu on a phone: the button shows it (CSS hides the bar only once
  // this has run, so without JavaScript the bar stays a scrolling row); Escape closes it
  var topbar = document.querySelector(".topbar");
  var menuButton = topbar && topbar.querySelector(".menu-button");
  if (topbar && menuButton) {
    topbar.classList.add("has-menu");
    var setMenu = function (open) {
      topbar.classList.toggle("open", open);
      menuButton.setAttribute("aria-expanded", open ? "true" : "false");
    };
    menuButton.addEventListener("click", function () {
      setMenu(menuButton.getAttribute("aria-expanded") !== "true");
    });
    topbar.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && topbar.classList.contains("open")) {
        setMenu(false);
        menuButton.focus();
      }
    });
  }

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

  // --- charts: colours from the page's CSS variables at draw time (so dark mode has its own),
  // redrawn when the system switches between light and dark; each chart's accessible name
  // (role="img" in the template) gains a one-sentence summary of what it shows
  var dataTag = document.getElementById("chart-data");
  if (!dataTag || typeof Plotly === "undefined") return;
  var data = JSON.parse(dataTag.textContent);
  var config = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  var C = {}, layoutBase = {};
  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function readColours() {
    C = {
      accent: cssVar("--accent"), ink: cssVar("--ink"), grid: cssVar("--chart-grid"),
      line: cssVar("--line"), p90: cssVar("--chart-p90"), good: cssVar("--good"),
      bad: cssVar("--bad"), passive: cssVar("--passive"), soft: cssVar("--accent-soft"),
    };
    layoutBase = {
      margin: { l: 52, r: 12, t: 8, b: 36 },
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      font: { family: "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", size: 12, color: C.ink },
      xaxis: { gridcolor: C.grid, linecolor: C.line },
      yaxis: { gridcolor: C.grid, zerolinecolor: C.line, rangemode: "tozero" },
      legend: { orientation: "h", y: 1.12, x: 0 },
      hovermode: "x unified", showlegend: false,
    };
  }
  function hours(v) { return v === null ? null : v / 60; }
  function clone(o) { return JSON.parse(JSON.stringify(o)); }
  function num(v) { return Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1); }
  function describe(el, text) {
    var base = el.dataset.label || el.getAttribute("aria-label") || "";
    el.dataset.label = base;
    el.setAttribute("aria-label", base + (text ? " " + text : ""));
  }
  function summary(x, y, suffix) {
    var pts = [];
    y.forEach(function (v, i) { if (v !== null && v !== undefined) pts.push([x[i], v]); });
    if (!pts.length) return "No values in this range.";
    var lo = pts[0], hi = pts[0];
    pts.forEach(function (p) { if (p[1] < lo[1]) lo = p; if (p[1] > hi[1]) hi = p; });
    var last = pts[pts.length - 1];
    return "From " + pts[0][0] + " to " + last[0] + ": lowest " + num(lo[1]) + suffix + " (" + lo[0] +
      "), highest " + num(hi[1]) + suffix + " (" + hi[0] + "), last " + num(last[1]) + suffix + ".";
  }

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
      traces.push({ x: c.x, y: c.lo.map(scale), mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: C.soft, name: "95% interval", hoverinfo: "skip" });
    }
    if (c.p90.some(function (v) { return v !== null; })) {
      traces.push({ x: c.x, y: c.p90.map(scale), mode: "lines", name: "p90", line: { color: C.p90, dash: "dot", width: 1.5 }, hovertemplate: "p90 %{y:.1f}" + suffix + "<extra></extra>" });
      traces.push({ x: c.x, y: c.p50.map(scale), mode: "lines", name: "median", line: { color: C.good, width: 1.5 }, hovertemplate: "median %{y:.1f}" + suffix + "<extra></extra>" });
      layout.showlegend = true;
    }
    var kind = c.unit === "count" ? "bar" : "scatter";
    traces.push({
      x: c.x, y: c.y.map(scale), type: kind, mode: "lines+markers", name: c.unit === "count" ? c.title : "mean",
      marker: { color: C.accent, size: 5 }, line: { color: C.accent, width: 2.2 },
      customdata: c.n, hovertemplate: "%{y:.1f}" + suffix + " (n=%{customdata})<extra></extra>",
    });
    layout.yaxis.ticksuffix = suffix;
    if (c.unit === "percent") layout.yaxis.rangemode = "normal";
    Plotly.newPlot(el, traces, layout, config);
    describe(el, summary(c.x, c.y.map(scale), suffix));
    if (el.removeAllListeners) el.removeAllListeners("plotly_click");
    el.on("plotly_click", function (ev) {
      var i = ev.points && ev.points[0] ? ev.points[0].pointIndex : -1;
      if (i >= 0 && c.links[i]) window.location.href = c.links[i];
    });
  }

  function drawCharts() {
    readColours();
    if (Array.isArray(data)) data.forEach(seriesChart);
    if (data.staffing) {
      var sel = document.getElementById("chart-staffing");
      if (sel) {
        sel.innerHTML = "";
        var s = data.staffing;
        var lay = clone(layoutBase);
        lay.showlegend = true;
        Plotly.newPlot(sel, [
          { x: s.history_x, y: s.history_y, mode: "lines", name: "history", line: { color: C.p90, width: 1.2 },
            hovertemplate: "%{y:.0f} contacts<extra>history</extra>" },
          { x: s.forecast_x, y: s.forecast_y, mode: "lines", name: "forecast", line: { color: C.accent, width: 2 },
            customdata: s.agents, hovertemplate: "%{y:.1f} contacts, %{customdata} agents<extra>forecast</extra>" },
        ], lay, config);
        describe(sel, "Forecast contacts per interval. " + summary(s.forecast_x, s.forecast_y, " contacts"));
      }
    }
    if (data.csat) seriesChart(data.csat);
    if (data.nps) {
      var el = document.getElementById("chart-nps");
      if (el) {
        el.innerHTML = "";
        var colours = data.nps.group.map(function (g) {
          return g === "promoter" ? C.good : g === "passive" ? C.passive : C.bad;
        });
        var layout = clone(layoutBase);
        layout.xaxis.dtick = 1; layout.hovermode = "closest";
        Plotly.newPlot(el, [{ x: data.nps.x, y: data.nps.y, type: "bar", marker: { color: colours },
          hovertemplate: "score %{x}: %{y} answers<extra></extra>" }], layout, config);
        var total = data.nps.y.reduce(function (a, b) { return a + (b || 0); }, 0);
        var parts = data.nps.x.map(function (x, i) { return "score " + x + ": " + data.nps.y[i]; });
        describe(el, total + " answers; " + parts.join(", ") + ".");
      }
    }
  }
  drawCharts();
  if (window.matchMedia) {
    var scheme = window.matchMedia("(prefers-color-scheme: dark)");
    if (scheme.addEventListener) scheme.addEventListener("change", drawCharts);
  }
})();
