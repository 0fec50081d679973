// ganlab's fast live frames: when a new frame of a live plot differs from the one on screen only in its
// moving data (a heatmap's z, scatter points and line paths, trace names of the same length, the title),
// update the graph Plotly already drew in place instead of calling Plotly.react, which redraws every
// trace, the legend and the colour bar (about 30 ms a frame for the Toy Lab's plane in headless Chromium,
// against 1-3 ms here). Anything else (a new trace, a changed layout or colour range, a zoom or a legend
// click since the last full draw, a marker count that changed) returns false, and the caller redraws the
// frame with Plotly.react. The graph's data and calcdata are kept in step with what is drawn, so hover
// values, zoom and a later Plotly.react all see the frame on screen.
//
// It relies on plotly.js's drawn structure (the version plotly.py ships: its heatmap <image>, scatter
// point <path>s and line <path>, legend texts) and checks that structure before touching it;
// tests/e2e/test_live_plot_fast.py compares a patched graph with a fresh Plotly.react of the same frame,
// pixel by pixel.
(function () {
  "use strict";

  const DATA_KEYS = ["x", "y", "z"];
  const TYPED = { f4: Float32Array, f8: Float64Array, i1: Int8Array, u1: Uint8Array, i2: Int16Array,
                  u2: Uint16Array, i4: Int32Array, u4: Uint32Array, u1c: Uint8ClampedArray };
  const PLAIN_TEXT = /^[^<>&]*$/;  // names and titles Plotly shows as typed (no <br>, <b> or entities)
  const RENAME_SLACK = 4;

  // --- the figure's data: plain arrays or plotly.py's typed-array specs {dtype, bdata, shape} ---------

  function isSpec(value) {
    return value !== null && typeof value === "object" && typeof value.bdata === "string";
  }

  function decode(value) {
    // A flat array of numbers (null for a gap: NaN) and its shape [rows, cols] (2-D) or [n].
    if (isSpec(value)) {
      const kind = TYPED[value.dtype];
      if (!kind) return null;
      const text = atob(value.bdata);
      const bytes = new Uint8Array(text.length);
      for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
      const flat = new kind(bytes.buffer);
      const shape = typeof value.shape === "string" ? value.shape.split(",").map(Number)
        : Array.isArray(value.shape) ? value.shape.map(Number) : [flat.length];
      return { flat: flat, shape: shape };
    }
    if (!Array.isArray(value)) return null;
    if (value.length && Array.isArray(value[0])) {
      const cols = value[0].length;
      const flat = new Float64Array(value.length * cols);
      for (let r = 0; r < value.length; r++) {
        if (value[r].length !== cols) return null;
        for (let c = 0; c < cols; c++) flat[r * cols + c] = value[r][c] === null ? NaN : value[r][c];
      }
      return { flat: flat, shape: [value.length, cols] };
    }
    return { flat: Float64Array.from(value, (v) => (v === null ? NaN : v)), shape: [value.length] };
  }

  function length(value) {
    if (isSpec(value)) return String(value.shape === undefined ? value.bdata.length : value.shape);
    return Array.isArray(value) ? String(value.length) : "-";
  }

  function same(a, b) {
    if (a === b) return true;
    if (isSpec(a) && isSpec(b)) return a.bdata === b.bdata && a.dtype === b.dtype && String(a.shape) === String(b.shape);
    return JSON.stringify(a) === JSON.stringify(b);
  }

  // What must be equal for a frame to be patched onto the one on screen: everything but the data arrays
  // (their lengths count), the trace names and the title's text.
  function structure(figure) {
    const data = (figure.data || []).map((trace) => {
      const rest = {};
      for (const key of Object.keys(trace)) {
        if (!DATA_KEYS.includes(key) && key !== "name") rest[key] = trace[key];
      }
      rest["(lengths)"] = DATA_KEYS.map((key) => length(trace[key])).join("|");
      return rest;
    });
    const layout = Object.assign({}, figure.layout || {});
    if (layout.title && typeof layout.title === "object") layout.title = Object.assign({}, layout.title, { text: null });
    return JSON.stringify({ data: data, layout: layout });
  }

  // --- plotly.js's drawn graph --------------------------------------------------------------------------

  function drawnGroups(plot, selector) {
    // trace index -> the element Plotly drew it in (its d3 datum is the trace's calcdata)
    const groups = new Map();
    for (const element of plot.querySelectorAll(selector)) {
      const cd = element.__data__;
      const trace = cd && cd[0] && cd[0].trace;
      if (trace && typeof trace.index === "number") groups.set(trace.index, element);
    }
    return groups;
  }

  function axes(plot, full) {
    const name = (id, letter) => letter + "axis" + String(id || letter).slice(1);
    return [plot._fullLayout[name(full.xaxis, "x")], plot._fullLayout[name(full.yaxis, "y")]];
  }

  const round2 = (v) => Math.round(v * 100) / 100;

  // --- colours as plotly.js maps them: linear in RGB between the colour scale's stops, clamped ----------

  function rgba(colour) {
    const text = String(colour).trim();
    let m = /^rgba?\(([^)]+)\)$/.exec(text);
    if (m) {
      const parts = m[1].split(",").map(Number);
      return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
    }
    m = /^#([0-9a-f]{6})$/i.exec(text);
    if (m) {
      const n = parseInt(m[1], 16);
      return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 1];
    }
    return null;
  }

  function colourMap(full) {
    // value -> [r, g, b, a (0-255)], or null when the scale cannot be read
    const scale = full.colorscale;
    if (!Array.isArray(scale) || scale.length < 2 || full.reversescale) return null;
    const stops = scale.map((s) => Number(s[0]));
    const colours = scale.map((s) => rgba(s[1]));
    if (colours.some((c) => c === null)) return null;
    const zmin = Number(full.zmin), zmax = Number(full.zmax);
    if (!(zmax > zmin)) return null;
    return function (value) {
      const t = Math.min(1, Math.max(0, (value - zmin) / (zmax - zmin)));
      let k = 1;
      while (k < stops.length - 1 && t > stops[k]) k++;
      const span = stops[k] - stops[k - 1];
      const f = span > 0 ? (t - stops[k - 1]) / span : 0;
      const a = colours[k - 1], b = colours[k];
      return [Math.round(a[0] + f * (b[0] - a[0])), Math.round(a[1] + f * (b[1] - a[1])),
              Math.round(a[2] + f * (b[2] - a[2])), Math.round(255 * (a[3] + f * (b[3] - a[3])))];
    };
  }

  // --- one patch per kind of trace: each returns a function that applies it, or null (not patchable) ----

  function heatmapPatch(plot, i, trace, changed) {
    const full = plot._fullData[i];
    if (changed.some((key) => key !== "z") || full.zsmooth !== "fast" || full.zauto !== false) return null;
    const group = drawnGroups(plot, ".hm").get(i);
    const image = group && group.querySelector("image");
    const z = decode(trace.z);
    const colour = colourMap(full);
    if (!image || !z || z.shape.length !== 2 || !colour) return null;
    const [rows, cols] = z.shape;
    const cd0 = plot.calcdata[i][0];
    if (!cd0 || !Array.isArray(cd0.z) || cd0.z.length !== rows || cd0.z[0].length !== cols) return null;
    return function () {
      const canvas = document.createElement("canvas");
      canvas.width = cols;
      canvas.height = rows;
      const context = canvas.getContext("2d");
      const pixels = context.createImageData(cols, rows);
      const grid = [];
      for (let r = 0; r < rows; r++) {
        const row = new Array(cols);
        for (let c = 0; c < cols; c++) {
          const value = z.flat[r * cols + c];
          row[c] = Number.isFinite(value) ? value : undefined;
          const at = 4 * ((rows - 1 - r) * cols + c);  // z's first row is the bottom one (y goes up)
          if (Number.isFinite(value)) pixels.data.set(colour(value), at);
        }
        grid.push(row);
      }
      context.putImageData(pixels, 0, 0);
      image.setAttribute("href", canvas.toDataURL("image/png"));
      cd0.z = grid;  // hover reads D's value here
    };
  }

  function points(trace) {
    const x = decode(trace.x), y = decode(trace.y);
    if (!x || !y || x.flat.length !== y.flat.length) return null;
    return { x: x.flat, y: y.flat, n: x.flat.length };
  }

  function scatterPatch(plot, i, trace, changed) {
    const full = plot._fullData[i];
    const mode = String(full.mode || "");
    if (changed.some((key) => key === "z") || (full.fill && full.fill !== "none") || mode.includes("text")) return null;
    const group = drawnGroups(plot, ".scatterlayer .trace").get(i);
    const xy = points(trace);
    const cd = plot.calcdata[i];
    if (!group || !xy || !cd || cd.length !== xy.n) return null;
    const [xa, ya] = axes(plot, full);
    if (!xa || !ya) return null;
    const markers = mode.includes("markers") ? markerPaths(plot, i, group) : null;
    if (mode.includes("markers") && !markers) return null;
    if (markers && !markers.template && xy.x.some((v, k) => Number.isFinite(v) && Number.isFinite(xy.y[k]))) return null;
    const px = new Array(xy.n), py = new Array(xy.n);
    for (let k = 0; k < xy.n; k++) {
      const ok = Number.isFinite(xy.x[k]) && Number.isFinite(xy.y[k]);
      px[k] = ok ? round2(xa.c2p(xy.x[k])) : NaN;
      py[k] = ok ? round2(ya.c2p(xy.y[k])) : NaN;
    }
    const lines = mode.includes("lines") ? group.querySelectorAll("path.js-line") : null;
    const segments = lines ? lineSegments(px, py) : null;
    if (lines && segments.length !== lines.length) return null;  // Plotly split or dropped a segment
    return function () {
      for (let k = 0; k < xy.n; k++) {
        const ok = Number.isFinite(px[k]);
        cd[k].x = ok ? xy.x[k] : undefined;
        cd[k].y = ok ? xy.y[k] : undefined;
      }
      if (markers) placeMarkers(markers, px, py);
      if (lines) lines.forEach((path, k) => path.setAttribute("d", segments[k]));
    };
  }

  function markerPaths(plot, i, group) {
    // {layer, paths, template}: the trace's drawn marker paths, one per finite point, and one to clone
    // when more points are finite than are drawn (the last seen, kept across frames), or null
    const layer = group.querySelector("g.points");
    if (!layer) return null;
    const paths = Array.from(layer.querySelectorAll("path.point"));
    const templates = plot.__ganlabMarkerTemplates || (plot.__ganlabMarkerTemplates = new Map());
    if (paths.length) templates.set(i, paths[0].cloneNode(true));
    return { layer: layer, paths: paths, template: templates.get(i) || null };
  }

  function placeMarkers(markers, px, py) {
    // one marker path per finite point, in order, translated as plotly.js places them
    const shown = [];
    for (let k = 0; k < px.length; k++) if (Number.isFinite(px[k])) shown.push(`translate(${px[k]},${py[k]})`);
    const paths = markers.paths;
    while (paths.length > shown.length) paths.pop().remove();
    while (paths.length < shown.length) paths.push(markers.layer.appendChild(markers.template.cloneNode(true)));
    paths.forEach((path, k) => path.setAttribute("transform", shown[k]));
  }

  function lineSegments(px, py) {
    // Plotly's lines without connectgaps: each run of two or more finite points is one "M..L.." path
    const segments = [];
    let run = [];
    const flush = () => {
      if (run.length > 1) segments.push("M" + run.join("L"));
      run = [];
    };
    for (let k = 0; k < px.length; k++) {
      if (Number.isFinite(px[k])) run.push(px[k] + "," + py[k]);
      else flush();
    }
    flush();
    return segments;
  }

  function renamePatch(plot, i, name) {
    // A legend entry takes its new name in place when it has no more characters than the old one, or is
    // no wider than it plus RENAME_SLACK px (a wider one would run into the next entry: the legend is then
    // laid out again by Plotly.react).
    if (!PLAIN_TEXT.test(name)) return null;
    const item = drawnGroups(plot, ".legend .traces").get(i);
    const text = item && item.querySelector(".legendtext");
    if (text && name.length > text.textContent.length) {  // as many characters or fewer: it fits (digits)
      const old = text.textContent, width = text.getComputedTextLength();
      text.textContent = name;
      const fits = text.getComputedTextLength() <= width + RENAME_SLACK;
      text.textContent = old;
      if (!fits) return null;
    }
    return function () {
      plot._fullData[i].name = name;
      if (text) text.textContent = name;
    };
  }

  function titlePatch(plot, text) {
    const shown = plot.querySelector(".gtitle");
    if (typeof text !== "string" || !PLAIN_TEXT.test(text) || !shown || !plot._fullLayout.title) return null;
    return function () {
      if (plot.layout.title && typeof plot.layout.title === "object") plot.layout.title.text = text;
      plot._fullLayout.title.text = text;
      shown.textContent = text;
    };
  }

  // --- the entry point ------------------------------------------------------------------------------

  function tryPatch(plot, figure, onScreen) {
    // Draws `figure` over `onScreen` (the parsed figure drawn or patched last) in place; true when done,
    // false when the caller must redraw with Plotly.react (nothing was changed then). Both carry their
    // structure(...) as __structure, taken before anything (the page's theme, Plotly) touched them.
    // Why the last frame was not patched is kept in plot.dataset.fullDraw (for tests and benchmarks).
    const steps = plan(plot, figure, onScreen);
    if (typeof steps === "string") {
      plot.dataset.fullDraw = steps;
      return false;
    }
    for (const step of steps) step();
    plot.dataset.fullDraw = "";
    return true;
  }

  function plan(plot, figure, onScreen) {
    // The steps that patch `figure` onto the graph, or why it cannot be patched.
    if (!onScreen || !plot._fullLayout || !plot._fullData || !plot.calcdata) return "no graph yet";
    if (plot.dataset.dirty === "1") return "zoom, pan or legend click since the last full draw";
    if (!figure.__structure || figure.__structure !== onScreen.__structure) return "structure changed";
    const steps = [];
    const data = figure.data || [];
    for (let i = 0; i < data.length; i++) {
      const trace = data[i], before = onScreen.data[i];
      const changed = DATA_KEYS.filter((key) => !same(trace[key], before[key]));
      const full = plot._fullData[i];
      if (!full || full.index !== i) return `trace ${i} not drawn`;
      if (changed.length && full.visible === true) {
        const kind = trace.type || "scatter";
        const step = kind === "heatmap" ? heatmapPatch(plot, i, trace, changed)
          : kind === "scatter" ? scatterPatch(plot, i, trace, changed) : null;
        if (!step) return `trace ${i} (${kind}) changed ${changed.join(", ")}`;
        steps.push(step);
      }
      if (trace.name !== before.name) {
        const step = renamePatch(plot, i, String(trace.name || ""));
        if (!step) return `trace ${i} renamed`;
        steps.push(step);
      }
      for (const key of changed) steps.push(() => { plot.data[i][key] = trace[key]; });
      if (trace.name !== before.name) steps.push(() => { plot.data[i].name = trace.name; });
    }
    const text = titleText(figure), textBefore = titleText(onScreen);
    if (text !== textBefore) {
      const step = titlePatch(plot, text);
      if (!step) return "title";
      steps.push(step);
    }
    return steps;
  }

  function titleText(figure) {
    const title = (figure.layout || {}).title;
    return title && typeof title === "object" ? title.text : title;
  }

  function watch(plot) {
    // A zoom, pan or legend click since the last full draw: the next frame is drawn in full.
    if (plot.dataset.watched === "1" || typeof plot.on !== "function") return;
    plot.dataset.watched = "1";
    const dirty = () => { plot.dataset.dirty = "1"; };
    plot.on("plotly_relayout", dirty);
    plot.on("plotly_restyle", dirty);
    plot.on("plotly_legendclick", dirty);
    plot.on("plotly_legenddoubleclick", dirty);
  }

  window.GanlabFastFrames = { tryPatch: tryPatch, watch: watch, structure: structure, decode: decode };
})();
