/* sphinx-llmarch: open a diagram full size, with zoom (wheel, +/-) and pan (drag);
   a search box and filter chips for model grids; sortable model tables.
   Loaded only on pages that need it; no dependencies, nothing fetched. */
(function () {
  "use strict";

  function open(diagram) {
    var source = diagram.querySelector("svg, img");
    if (!source) return;
    var overlay = document.createElement("div");
    overlay.className = "llmarch-overlay";
    overlay.setAttribute("role", "dialog");
    overlay.setAttribute("aria-modal", "true");
    overlay.setAttribute("aria-label", (source.getAttribute("aria-label") || source.getAttribute("alt") || "Diagram") + " (full size)");
    var bar = document.createElement("div");
    bar.className = "llmarch-overlay-bar";
    var stage = document.createElement("div");
    stage.className = "llmarch-overlay-stage llmarch-diagram";
    var copy = source.cloneNode(true);
    copy.removeAttribute("style");
    stage.appendChild(copy);
    overlay.appendChild(bar);
    overlay.appendChild(stage);

    var natural = source.viewBox && source.viewBox.baseVal && source.viewBox.baseVal.width
      ? [source.viewBox.baseVal.width, source.viewBox.baseVal.height]
      : [source.naturalWidth || source.clientWidth, source.naturalHeight || source.clientHeight];
    var scale = 1, x = 0, y = 0;
    function apply() {
      copy.style.width = natural[0] * scale + "px";
      copy.style.height = natural[1] * scale + "px";
      copy.style.transform = "translate(" + x + "px," + y + "px)";
    }
    function fit() {
      var w = stage.clientWidth, h = stage.clientHeight;
      scale = Math.min(w / natural[0], h / natural[1], 2);
      x = (w - natural[0] * scale) / 2;
      y = Math.max(0, (h - natural[1] * scale) / 2);
      apply();
    }
    function zoom(factor, cx, cy) {
      var next = Math.min(8, Math.max(0.1, scale * factor));
      x = cx - (cx - x) * (next / scale);
      y = cy - (cy - y) * (next / scale);
      scale = next;
      apply();
    }
    function button(text, label, action) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = text;
      b.title = label;
      b.setAttribute("aria-label", label);
      b.addEventListener("click", action);
      bar.appendChild(b);
      return b;
    }
    button("+", "Zoom in", function () { zoom(1.25, stage.clientWidth / 2, stage.clientHeight / 2); });
    button("\u2212", "Zoom out", function () { zoom(0.8, stage.clientWidth / 2, stage.clientHeight / 2); });
    button("Fit", "Fit to window", fit);
    button("1:1", "Actual size", function () { scale = 1; x = 0; y = 0; apply(); });
    var closer = button("\u00d7", "Close", close);

    function close() {
      document.removeEventListener("keydown", keys);
      overlay.remove();
      diagram.focus();
    }
    function keys(event) {
      if (event.key === "Escape") close();
      else if (event.key === "+" || event.key === "=") zoom(1.25, stage.clientWidth / 2, stage.clientHeight / 2);
      else if (event.key === "-") zoom(0.8, stage.clientWidth / 2, stage.clientHeight / 2);
    }
    stage.addEventListener("wheel", function (event) {
      event.preventDefault();
      var box = stage.getBoundingClientRect();
      zoom(event.deltaY < 0 ? 1.15 : 1 / 1.15, event.clientX - box.left, event.clientY - box.top);
    }, { passive: false });
    var drag = null;
    stage.addEventListener("pointerdown", function (event) {
      if (event.target.closest("a")) return;
      drag = [event.clientX - x, event.clientY - y];
      stage.setPointerCapture(event.pointerId);
    });
    stage.addEventListener("pointermove", function (event) {
      if (!drag) return;
      x = event.clientX - drag[0];
      y = event.clientY - drag[1];
      apply();
    });
    stage.addEventListener("pointerup", function () { drag = null; });
    // a link inside the diagram (to the fact sheet) closes the overlay and follows it
    stage.addEventListener("click", function (event) { if (event.target.closest("a")) close(); });
    document.addEventListener("keydown", keys);
    document.body.appendChild(overlay);
    fit();
    closer.focus();
  }

  function setup() {
    document.querySelectorAll(".llmarch-diagram").forEach(function (diagram) {
      if (!diagram.querySelector("svg, img")) return;
      diagram.classList.add("llmarch-zoomable");
      diagram.tabIndex = 0;
      diagram.title = "Click to open full size";
      if (diagram.scrollWidth > diagram.clientWidth + 2) {
        // wider than the column: say so, since only its left part shows at first
        var hint = document.createElement("p");
        hint.className = "llmarch-hint";
        hint.textContent = "\u2194 Scroll sideways for the rest of the diagram, or click it to open it full size.";
        diagram.insertAdjacentElement("afterend", hint);
      }
      diagram.addEventListener("click", function (event) {
        if (event.target.closest("a")) return; // links go to the fact sheet
        open(diagram);
      });
      diagram.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && !event.target.closest("a")) open(diagram);
      });
    });
  }

  // -- model grids: search box and chips --------------------------------------------

  // Chips of one group are alternatives (any of them); groups narrow together (all).
  var CHIPS = [
    ["decoder", [["dense", "Dense"], ["moe", "MoE"]]],
    ["mixing", [["attention", "Attention"], ["hybrid", "Hybrid"], ["attention-free", "Attention-free"]]],
    ["attention", [["mha", "MHA"], ["gqa", "GQA"], ["mqa", "MQA"], ["mla", "MLA"],
                   ["sliding", "Sliding window"], ["linear", "Linear attention"]]],
    ["input", [["images", "Reads images"]]],
  ];

  function setupGrid(grid) {
    var cards = Array.prototype.slice.call(grid.querySelectorAll(".llmarch-card"));
    var bar = document.createElement("div");
    bar.className = "llmarch-grid-controls";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Search " + cards.length + " models";
    search.setAttribute("aria-label", "Search the models");
    bar.appendChild(search);
    var active = {};
    CHIPS.forEach(function (group) {
      active[group[0]] = {};
      group[1].forEach(function (chip) {
        var cls = "llmarch-" + group[0] + "-" + chip[0];
        if (!grid.querySelector("." + cls)) return; // offer only what this grid holds
        var b = document.createElement("button");
        b.type = "button";
        b.className = "llmarch-chip";
        b.textContent = chip[1];
        b.setAttribute("data-chip", cls);
        b.setAttribute("data-group", group[0]);
        b.setAttribute("aria-pressed", "false");
        b.addEventListener("click", function () {
          var on = !active[group[0]][cls];
          active[group[0]][cls] = on;
          b.setAttribute("aria-pressed", on ? "true" : "false");
          apply();
        });
        bar.appendChild(b);
      });
    });
    var count = document.createElement("span");
    count.className = "llmarch-grid-count";
    count.setAttribute("aria-live", "polite");
    bar.appendChild(count);
    function apply() {
      var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
      var shown = 0;
      cards.forEach(function (card) {
        var text = card.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        Object.keys(active).forEach(function (group) {
          var wanted = Object.keys(active[group]).filter(function (c) { return active[group][c]; });
          if (wanted.length && !wanted.some(function (c) { return card.classList.contains(c); })) ok = false;
        });
        card.hidden = !ok;
        if (ok) shown++;
      });
      count.textContent = shown
        ? shown + " of " + cards.length + " shown"
        : "No model matches: try fewer words, or another chip";
      remember();
    }
    // The search and the chips live in the address (?q=...&chips=...), so going back
    // from a model's page, or sharing the link, shows the same selection.
    function remember() {
      if (!window.history || !history.replaceState || !window.URLSearchParams) return;
      var params = new URLSearchParams(location.search);
      var on = [];
      Object.keys(active).forEach(function (group) {
        Object.keys(active[group]).forEach(function (c) { if (active[group][c]) on.push(c); });
      });
      if (search.value.trim()) params.set("q", search.value.trim()); else params.delete("q");
      if (on.length) params.set("chips", on.join(",")); else params.delete("chips");
      var query = params.toString();
      history.replaceState(history.state, "", location.pathname + (query ? "?" + query : "") + location.hash);
    }
    function restore() {
      if (!window.URLSearchParams) return;
      var params = new URLSearchParams(location.search);
      search.value = params.get("q") || "";
      (params.get("chips") || "").split(",").forEach(function (c) {
        var button = bar.querySelector('[data-chip="' + c + '"]');
        if (!button) return;
        active[button.getAttribute("data-group")][c] = true;
        button.setAttribute("aria-pressed", "true");
      });
    }
    search.addEventListener("input", apply);
    grid.parentNode.insertBefore(bar, grid);
    restore();
    apply();
  }

  // -- model tables: click a column header to sort ------------------------------------

  // Numbers as the tables print them: counts with K, M, B or T right after the digits
  // (8.19B), context lengths with k in powers of two (128k), sizes in bytes with a space
  // before the unit (512 B, 144 KiB); dates as YYYY-MM-DD.
  var COUNTS = { K: 1e3, M: 1e6, B: 1e9, T: 1e12, k: 1024 };
  var BYTES = { B: 1, KiB: 1024, MiB: 1048576, GiB: 1073741824, TiB: 1099511627776 };

  function number(digits) {
    return parseFloat(digits.replace(/,/g, ""));
  }

  function sortValue(text) {
    var t = text.trim();
    var m = t.match(/^(\d{4})-(\d{2})-(\d{2})$/);
    if (m) return Date.UTC(+m[1], +m[2] - 1, +m[3]);
    m = t.match(/^([\d.,]+) (B|KiB|MiB|GiB|TiB)(?![\w.])/);
    if (m) return number(m[1]) * BYTES[m[2]];
    m = t.match(/^([\d.,]+)([KMBTk]?)(?![\w.])/);
    if (m) return number(m[1]) * (COUNTS[m[2]] || 1);
    return t.toLowerCase();
  }

  function setupTable(table) {
    var headers = table.querySelectorAll("thead th");
    var body = table.querySelector("tbody");
    headers.forEach(function (th, column) {
      th.classList.add("llmarch-sort");
      th.tabIndex = 0;
      th.setAttribute("aria-sort", "none");
      function sort() {
        var up = th.getAttribute("aria-sort") !== "ascending";
        headers.forEach(function (other) { other.setAttribute("aria-sort", "none"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a.cells[column].textContent), y = sortValue(b.cells[column].textContent);
          var order = typeof x === typeof y ? (x < y ? -1 : x > y ? 1 : 0) : (typeof x === "number" ? -1 : 1);
          return up ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) { if (event.key === "Enter") sort(); });
    });
  }

  function setupAll() {
    setup();
    document.querySelectorAll(".llmarch-grid").forEach(setupGrid);
    document.querySelectorAll("table.llmarch-sortable").forEach(setupTable);
  }

  if (typeof document === "undefined") {  // loaded by node, for the tests: the parsing alone
    module.exports = { sortValue: sortValue };
    return;
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setupAll);
  else setupAll();
})();
