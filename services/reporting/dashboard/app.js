/*
 * leadflow reporting dashboard. Vanilla JS, no dependencies, no build step; served by
 * leadflow-reporting at /dashboard/ next to the JSON API (same origin).
 *
 * ---------------------------------------------------------------------------------------------
 * Testability: the data-metric naming scheme
 * ---------------------------------------------------------------------------------------------
 * Every value shown that comes from the API is rendered as
 *     <span data-metric="NAME" data-value="RAW">TEXT</span>
 *   TEXT  what is displayed, formatted for humans ("1,234", "73.2%", "EUR 12,000", "3.2 d").
 *         A zero-count duration is shown as "—".
 *   RAW   the value exactly as the API's JSON gave it: a JSON string as-is (int64 counts "412",
 *         durations "86400s", timestamps, enum names, text); anything else JSON.stringify'd
 *         (doubles "0.7321", booleans "true", Money '{"currencyCode":"EUR","amountMicros":"1"}').
 *         A field the JSON omitted (proto3 default) gets its default: "0" for int64, "0" for
 *         double, "false", "" for strings, "0s" for durations, "" for unset messages.
 *   NAME  <report>.<row>.<field>[...] with proto field names (snake_case); unique on the page.
 *
 *   <KEY> names a row of a grouped report: "total" when the row's key.group is empty, else the
 *         key.group[].value in request order joined with "|", an empty value written "(none)".
 *         (The dashboard requests quality grouped by the "Group by" selector, recycle grouped by
 *         recycle_reason and every other report ungrouped, i.e. KEY = "total".)
 *
 *   funnel.<STAGE>.entered | current                 every stage of the single funnel row
 *                                                    (STAGE is the enum name, e.g. STAGE_MQL)
 *   funnel.metadata.complete_through                 header "data complete through"
 *   funnel.metadata.config_version
 *   conversion.<FROM>.<TO>.rate | entered | converted     (FROM/TO enum names, main path pairs)
 *   velocity.<FROM>.<TO>.median | p90 | count
 *   sla.<KEY>.compliance_rate | handed_off | accepted_within_sla | rejected_within_sla |
 *             answered_late | expired | escalated | reassigned | pending |
 *             median_time_to_answer | p90_time_to_answer
 *   quality.<KEY>.leads | mql | accepted | rejected | acceptance_rate | won | pipeline_amount |
 *                 won_amount | value_per_lead        (disqualified, sql, opportunities not shown)
 *   quality.<KEY>.rejection_reasons.<code>.count
 *   winloss.<KEY>.won | lost | win_rate | won_amount | lost_amount | median_sales_cycle
 *   winloss.<KEY>.win_reasons.<code>.count
 *   winloss.<KEY>.loss_reasons.<code>.count
 *   winloss.<KEY>.competitors.<competitor>.won | lost
 *   attribution.<KEY>.won_deals | marketing_sourced_deals | won_amount |
 *                     marketing_sourced_amount | accelerated_credit | marketing_sourced_share
 *   attribution.comp_summary_version
 *   comp.version | comp.plan_name
 *   comp.products.<product_id>.accelerator_percent   (only products with accelerator_percent > 100)
 *   recycle.<KEY>.recycled | released | requalified | accepted_later | won_later | archived |
 *                 nurturing | requalify_rate | won_later_amount | median_time_to_requalify
 *   model.version | active | auc | calibration_error | log_loss | won | lost |
 *         training_examples | validation_examples | trained_at      (of GetScoringModel.current)
 *   model.runs.<i>.version | auc | calibration_error | published | trained_at
 *                                                    (i = index in runs, 0 = newest)
 *
 * Other hooks: body[data-ready="1"] after the first complete load of every card (each card
 * rendered or showing its error); body[data-errors] counts failed fetches, window.onerror and
 * unhandled rejections (each also logged with console.error). Each card has data-state
 * ("loading" | "ok" | "error" | "partial") and data-query (the query string of its main report
 * request). Filters are mirrored in the page URL (?from=…&channel=…), so a URL reproduces a view.
 */
(function () {
  "use strict";

  var REFRESH_MS = 15000;
  var TOKEN_KEY = "leadflow.reporting.token";
  var LOCALE = "en-US";
  var SVG_NS = "http://www.w3.org/2000/svg";

  var MAIN_PATH = ["STAGE_INQUIRY", "STAGE_MQL", "STAGE_SAL", "STAGE_SQL", "STAGE_OPPORTUNITY",
                   "STAGE_WON"];
  var STAGE_LABEL = {
    STAGE_INQUIRY: "Inquiry", STAGE_MQL: "MQL", STAGE_SAL: "SAL", STAGE_SQL: "SQL",
    STAGE_OPPORTUNITY: "Opportunity", STAGE_WON: "Won", STAGE_LOST: "Lost",
    STAGE_DISQUALIFIED: "Disqualified", STAGE_REJECTED: "Rejected", STAGE_NURTURE: "Nurture",
    STAGE_ERASED: "Erased", STAGE_ARCHIVED: "Archived"
  };
  var CHANNELS = ["direct", "organic_search", "paid_search", "organic_social", "paid_social",
                  "email", "webinar", "event", "referral", "partner", "content_syndication",
                  "outbound", "other"];
  var ENUM_PREFIXES = ["STAGE_", "CHANNEL_", "FIT_GRADE_", "RECYCLE_REASON_", "REJECTION_REASON_",
                       "MQL_BASIS_", "OPPORTUNITY_OUTCOME_"];

  // ------------------------------------------------------------------------------------------
  // errors
  // ------------------------------------------------------------------------------------------

  function bumpErrors() {
    var b = document.body;
    if (!b) return;
    b.dataset.errors = String((parseInt(b.dataset.errors, 10) || 0) + 1);
  }

  window.addEventListener("error", function (ev) {
    bumpErrors();
    console.error("dashboard: uncaught error:", ev && ev.message ? ev.message : ev);
  });
  window.addEventListener("unhandledrejection", function (ev) {
    bumpErrors();
    console.error("dashboard: unhandled rejection:", ev ? ev.reason : ev);
  });

  // An HTTP or network failure of one API call.
  function ApiError(status, message, violations, path) {
    this.name = "ApiError";
    this.status = status;
    this.message = message;
    this.violations = violations || [];
    this.path = path;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  // ------------------------------------------------------------------------------------------
  // the API
  // ------------------------------------------------------------------------------------------

  function getToken() {
    try { return window.localStorage.getItem(TOKEN_KEY) || ""; } catch (e) { return ""; }
  }

  function setToken(t) {
    try {
      if (t) window.localStorage.setItem(TOKEN_KEY, t);
      else window.localStorage.removeItem(TOKEN_KEY);
    } catch (e) { /* storage disabled: the token lives for this page only */ memToken = t; }
  }
  var memToken = "";

  // "a=1&b=x%2Cy" from {a: 1, b: ["x", "y"]}; empty values are left out, keys sorted.
  function queryString(params) {
    var parts = [];
    Object.keys(params || {}).sort().forEach(function (k) {
      var v = params[k];
      if (Array.isArray(v)) v = v.filter(function (x) { return x !== "" && x != null; }).join(",");
      if (v === "" || v == null || v === false) return;
      parts.push(encodeURIComponent(k) + "=" + encodeURIComponent(String(v)).replace(/%2C/g, ","));
    });
    return parts.join("&");
  }

  function apiUrl(path, params) {
    var qs = queryString(params);
    return path + (qs ? "?" + qs : "");
  }

  // The one fetch wrapper: GET path?params, JSON (or text for format=csv), bearer token when one
  // is stored. Rejects with an ApiError (counted in body[data-errors]) unless aborted.
  function api(path, params, options) {
    options = options || {};
    var headers = { "Accept": params && params.format === "csv" ? "text/csv" : "application/json" };
    var token = getToken() || memToken;
    if (token) headers["Authorization"] = "Bearer " + token;
    var url = apiUrl(path, params);
    return fetch(url, { headers: headers, signal: options.signal, cache: "no-store",
                        credentials: "same-origin" })
      .then(function (res) {
        return res.text().then(function (text) {
          var box = document.getElementById("token-box");
          if (box) box.classList.toggle("needed", res.status === 401 || res.status === 403);
          // No or a bad token: open the token form, so the page asks for one.
          if (box && res.status === 401) box.open = true;
          if (!res.ok) throw errorOf(res.status, text, path);
          if (params && params.format === "csv") return text;
          try {
            return text ? JSON.parse(text) : {};
          } catch (e) {
            throw new ApiError(res.status, "the response is not valid JSON", [], path);
          }
        });
      }, function (err) {
        if (err && err.name === "AbortError") throw err;
        throw new ApiError(0, "network error: " + (err && err.message ? err.message : err), [],
                           path);
      })
      .catch(function (err) {
        if (err && err.name === "AbortError") throw err;
        bumpErrors();
        console.error("dashboard: GET " + url + " failed:", err.status || "", err.message);
        throw err;
      });
  }

  function errorOf(status, text, path) {
    if (status === 401 || status === 403) {
      return new ApiError(status, "A reader token is needed (HTTP " + status + ").", [], path);
    }
    var body = null;
    try { body = JSON.parse(text); } catch (e) { body = null; }
    if (body && typeof body === "object" && body.error) {
      return new ApiError(status, String(body.error), Array.isArray(body.violations)
        ? body.violations : [], path);
    }
    var snippet = (text || "").replace(/\s+/g, " ").trim().slice(0, 200);
    return new ApiError(status, "HTTP " + status + (snippet ? ": " + snippet : ""), [], path);
  }

  // ------------------------------------------------------------------------------------------
  // formatting
  // ------------------------------------------------------------------------------------------

  var intFmt = new Intl.NumberFormat(LOCALE, { maximumFractionDigits: 0 });
  var pctFmt = new Intl.NumberFormat(LOCALE, { style: "percent", minimumFractionDigits: 1,
                                               maximumFractionDigits: 1 });
  var decFmt = new Intl.NumberFormat(LOCALE, { minimumFractionDigits: 3,
                                               maximumFractionDigits: 3 });

  function toNum(v) {
    if (v == null || v === "") return 0;
    var n = Number(v);
    return isFinite(n) ? n : 0;
  }

  function fmtInt(v) { return intFmt.format(toNum(v)); }
  function fmtPct(v) { return pctFmt.format(toNum(v)); }
  function fmtDec(v) { return decFmt.format(toNum(v)); }

  var moneyFmts = {};
  function fmtMoney(m) {
    if (!m || typeof m !== "object") return "—";
    var code = m.currencyCode || "";
    var amount = toNum(m.amountMicros) / 1e6;
    var whole = Math.abs(amount) >= 1000 || Math.abs(amount - Math.round(amount)) < 0.005;
    if (!code) return (whole ? intFmt : new Intl.NumberFormat(LOCALE, {
      minimumFractionDigits: 2, maximumFractionDigits: 2 })).format(amount);
    var key = code + (whole ? "0" : "2");
    if (!moneyFmts[key]) {
      try {
        moneyFmts[key] = new Intl.NumberFormat(LOCALE, {
          style: "currency", currency: code, currencyDisplay: "code",
          minimumFractionDigits: whole ? 0 : 2, maximumFractionDigits: whole ? 0 : 2 });
      } catch (e) {  // not an ISO 4217 code Intl knows
        moneyFmts[key] = { format: function (x) {
          return code + " " + intFmt.format(x);
        } };
      }
    }
    return moneyFmts[key].format(amount).replace(/\u00a0/g, " ");
  }

  // Seconds of a protobuf JSON Duration ("86400s", "1.500s", "-3s").
  function durSeconds(d) {
    if (d == null || d === "") return 0;
    var m = /^(-?\d+(?:\.\d+)?)s$/.exec(String(d).trim());
    return m ? Number(m[1]) : 0;
  }

  function trimZero(s) { return s.replace(/\.0$/, ""); }

  function fmtDuration(d) {
    var s = durSeconds(d);
    var a = Math.abs(s);
    if (a === 0) return "—";
    if (a >= 86400) return (s / 86400).toFixed(1) + " d";
    if (a >= 3600) return trimZero((s / 3600).toFixed(1)) + " h";
    if (a >= 60) return Math.round(s / 60) + " min";
    return trimZero(s.toFixed(1)) + " s";
  }

  function fmtTime(ts) {
    if (!ts) return "—";
    var d = new Date(ts);
    if (isNaN(d.getTime())) return String(ts);
    var p = function (n) { return (n < 10 ? "0" : "") + n; };
    return d.getUTCFullYear() + "-" + p(d.getUTCMonth() + 1) + "-" + p(d.getUTCDate()) + " " +
           p(d.getUTCHours()) + ":" + p(d.getUTCMinutes()) + " UTC";
  }

  function fmtDate(ts) {
    return ts ? fmtTime(ts).slice(0, 10) : "—";
  }

  // "CHANNEL_PAID_SEARCH" -> "Paid search"; "" -> "(none)".
  function humanize(v) {
    if (v == null || v === "") return "(none)";
    var s = String(v);
    if (/^[A-Z0-9_]+$/.test(s)) {
      for (var i = 0; i < ENUM_PREFIXES.length; i++) {
        if (s.indexOf(ENUM_PREFIXES[i]) === 0) { s = s.slice(ENUM_PREFIXES[i].length); break; }
      }
      if (/_UNSPECIFIED$|^UNSPECIFIED$/.test(s)) return "(none)";
      if (s.length <= 3) return s;
      s = s.toLowerCase();
    } else if (!/_/.test(s)) {
      return s;  // a plain value (source system, competitor): shown as given
    }
    s = s.replace(/_/g, " ").replace(/\b(icp|mql|sal|sql|sla|crm|csv|api|roi|smb)\b/g,
                                      function (w) { return w.toUpperCase(); });
    return s.charAt(0).toUpperCase() + s.slice(1);
  }

  // A group value for display: enum names humanized, free values (source systems, campaign ids)
  // as given.
  function groupValue(v) {
    if (v == null || v === "") return "(none)";
    return /^[A-Z0-9_]+$/.test(String(v)) ? humanize(v) : String(v);
  }

  function stageLabel(s) { return STAGE_LABEL[s] || humanize(s); }

  // A reason code ("no_budget", "price") as a label ("No budget", "Price").
  function reasonLabel(code) {
    var h = humanize(code);
    return h.charAt(0).toUpperCase() + h.slice(1);
  }

  // ------------------------------------------------------------------------------------------
  // DOM helpers (never innerHTML with API data)
  // ------------------------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    append(node, children);
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v == null || v === false) return;
      if (k === "text") node.textContent = String(v);
      else if (k === "class") node.setAttribute("class", v);
      else if (k.indexOf("on") === 0 && typeof v === "function") node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    });
  }

  function append(node, children) {
    if (children == null) return;
    if (!Array.isArray(children)) children = [children];
    children.forEach(function (c) {
      if (c == null || c === false) return;
      node.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
    });
  }

  // Raw value of a field as the API gave it (see the naming scheme above).
  function rawOf(v, dflt) {
    if (v === undefined || v === null) v = dflt;
    if (v === undefined || v === null) return "";
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  var KIND = {
    int: { fmt: fmtInt, dflt: "0" },
    pct: { fmt: fmtPct, dflt: 0 },
    dec: { fmt: fmtDec, dflt: 0 },
    money: { fmt: fmtMoney, dflt: undefined },
    dur: { fmt: fmtDuration, dflt: "0s" },
    time: { fmt: fmtTime, dflt: undefined },
    text: { fmt: function (v) { return v == null || v === "" ? "—" : String(v); }, dflt: "" },
    bool: { fmt: function (v) { return v ? "yes" : "no"; }, dflt: false }
  };

  // The one way numbers from the API reach the page: <span data-metric data-value>text</span>.
  function metric(name, value, kind, cls) {
    var k = KIND[kind] || KIND.text;
    var v = value === undefined || value === null ? k.dflt : value;
    return el("span", { "class": "metric" + (cls ? " " + cls : ""), "data-metric": name,
                        "data-value": rawOf(v, k.dflt), text: k.fmt(v) });
  }

  function keyOf(row) {
    var g = row && row.key && Array.isArray(row.key.group) ? row.key.group : [];
    if (!g.length) return "total";
    return g.map(function (d) { return d && d.value ? d.value : "(none)"; }).join("|");
  }

  function labelOf(row) {
    var g = row && row.key && Array.isArray(row.key.group) ? row.key.group : [];
    if (!g.length) return "Total";
    return g.map(function (d) { return groupValue(d && d.value); }).join(" · ");
  }

  function rowsOf(resp) { return resp && Array.isArray(resp.rows) ? resp.rows : []; }
  function totalRow(resp) {
    var rows = rowsOf(resp);
    for (var i = 0; i < rows.length; i++) if (keyOf(rows[i]) === "total") return rows[i];
    return null;
  }

  function stat(label, valueNode, sub, cls) {
    return el("div", { "class": "stat" + (cls ? " " + cls : "") }, [
      el("div", { "class": "stat-label", text: label }),
      el("div", { "class": "stat-value" }, valueNode),
      sub ? el("div", { "class": "stat-sub" }, sub) : null
    ]);
  }

  function empty(text) { return el("p", { "class": "empty", text: text }); }

  // A horizontal bar: fraction of the track filled (0..1), responsive via viewBox.
  function bar(fraction, cls, label) {
    var f = Math.max(0, Math.min(1, toNum(fraction)));
    return svg("svg", { "class": "bar " + (cls || ""), viewBox: "0 0 100 8",
                        preserveAspectRatio: "none", role: label ? "img" : null,
                        "aria-label": label || null, "aria-hidden": label ? null : "true",
                        focusable: "false" }, [
      svg("rect", { "class": "bar-track", x: 0, y: 0, width: 100, height: 8, rx: 1.5 }),
      f > 0 ? svg("rect", { "class": "bar-fill", x: 0, y: 0, width: Math.max(0.8, f * 100),
                            height: 8, rx: 1.5 }) : null
    ]);
  }

  // A stacked horizontal bar of segments [{value, cls, label}].
  function stackedBar(segments, total, label) {
    var sum = total || segments.reduce(function (a, s) { return a + toNum(s.value); }, 0);
    var x = 0;
    var rects = [svg("rect", { "class": "bar-track", x: 0, y: 0, width: 100, height: 8, rx: 1.5 })];
    segments.forEach(function (s) {
      var w = sum > 0 ? toNum(s.value) / sum * 100 : 0;
      if (w <= 0) return;
      rects.push(svg("rect", { "class": "seg-fill " + s.cls, x: x, y: 0, width: w, height: 8 },
                     svg("title", { text: s.label + ": " + fmtInt(s.value) })));
      x += w;
    });
    return svg("svg", { "class": "bar stacked", viewBox: "0 0 100 8", preserveAspectRatio: "none",
                        role: "img", "aria-label": label, focusable: "false" }, rects);
  }

  function legend(items) {
    return el("ul", { "class": "legend" }, items.map(function (it) {
      return el("li", null, [el("span", { "class": "swatch " + it.cls, "aria-hidden": "true" }),
                             it.label]);
    }));
  }

  // A donut for a rate in [0, 1] with the given metric node in the middle.
  function donut(rate, centerNode, label, cls) {
    var r = 15.9155;  // circumference 100
    var f = Math.max(0, Math.min(1, toNum(rate)));
    var g = svg("svg", { "class": "donut-svg", viewBox: "0 0 36 36", role: "img",
                         "aria-label": label, focusable: "false" }, [
      svg("circle", { "class": "donut-track", cx: 18, cy: 18, r: r }),
      svg("circle", { "class": "donut-fill " + (cls || ""), cx: 18, cy: 18, r: r,
                      "stroke-dasharray": (f * 100).toFixed(2) + " " + (100 - f * 100).toFixed(2),
                      "stroke-dashoffset": 25 })
    ]);
    return el("div", { "class": "donut" }, [g, el("div", { "class": "donut-center" }, centerNode)]);
  }

  function table(caption, head, rows, cls) {
    return el("div", { "class": "table-wrap" + (cls ? " " + cls : ""), tabindex: "0",
                       role: "region", "aria-label": caption }, el("table", null, [
      el("caption", { "class": "sr-only", text: caption }),
      el("thead", null, el("tr", null, head.map(function (h) {
        var num = h.charAt(0) === "#";
        return el("th", { scope: "col", "class": num ? "num" : null, text: num ? h.slice(1) : h });
      }))),
      el("tbody", null, rows)
    ]));
  }

  function td(content, cls) { return el("td", { "class": cls || null }, content); }

  // ------------------------------------------------------------------------------------------
  // filters
  // ------------------------------------------------------------------------------------------

  var FILTER_KEYS = ["range", "from", "to", "source_system", "channel", "campaign", "segment",
                     "fit_grade", "quality_group", "mode"];

  var state = {
    range: "all", from: "", to: "", source_system: "", channel: "", campaign: "",
    segment: "", fit_grade: "", quality_group: "source_system", mode: "cohort"
  };

  function isoDay(d) { return d.toISOString().slice(0, 10); }

  function addDays(day, n) {
    var d = new Date(day + "T00:00:00Z");
    d.setUTCDate(d.getUTCDate() + n);
    return isoDay(d);
  }

  // The from/to days of a preset, relative to today (UTC); to is inclusive.
  function presetRange(preset) {
    var today = isoDay(new Date());
    if (preset === "qtd" || preset === "ytd") {
      var t = new Date(today + "T00:00:00Z");
      var m = preset === "ytd" ? 0 : Math.floor(t.getUTCMonth() / 3) * 3;
      return { from: isoDay(new Date(Date.UTC(t.getUTCFullYear(), m, 1))), to: today };
    }
    var n = parseInt(preset, 10);
    if (n > 0) return { from: addDays(today, -(n - 1)), to: today };
    return { from: "", to: "" };
  }

  function splitList(s) {
    return String(s || "").split(",").map(function (x) { return x.trim(); })
      .filter(function (x) { return x; });
  }

  // The params every report takes, from the filter state. "to" is inclusive in the UI and
  // half-open in the API, so the API gets the next day.
  function commonParams() {
    var p = {};
    if (state.from) p.from = state.from;
    if (state.to) p.to = addDays(state.to, 1);
    if (state.source_system) p.source_system = splitList(state.source_system);
    if (state.channel) p.channel = state.channel;
    if (state.campaign) p.campaign = splitList(state.campaign);
    if (state.segment) p.segment = splitList(state.segment);
    if (state.fit_grade) p.fit_grade = state.fit_grade;
    return p;
  }

  function readStateFromUrl() {
    var q = new URLSearchParams(window.location.search);
    FILTER_KEYS.forEach(function (k) { if (q.has(k)) state[k] = q.get(k) || ""; });
    if (q.has("from") || q.has("to")) { if (!q.has("range")) state.range = "custom"; }
    else if (state.range !== "all" && state.range !== "custom") {
      var r = presetRange(state.range);
      state.from = r.from; state.to = r.to;
    }
    if (["source_system", "channel", "campaign"].indexOf(state.quality_group) < 0) {
      state.quality_group = "source_system";
    }
    if (state.mode !== "period") state.mode = "cohort";
  }

  function writeStateToUrl() {
    var p = {};
    FILTER_KEYS.forEach(function (k) {
      var dflt = { range: "all", quality_group: "source_system", mode: "cohort" }[k] || "";
      if (state[k] && state[k] !== dflt) p[k] = state[k];
    });
    if (state.range !== "custom") { delete p.from; delete p.to; }
    var qs = queryString(p);
    try {
      window.history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    } catch (e) { /* file:// or sandboxed: not essential */ }
  }

  function $(id) { return document.getElementById(id); }

  function syncForm() {
    $("f-range").value = state.range;
    $("f-from").value = state.from;
    $("f-to").value = state.to;
    $("f-source").value = state.source_system;
    $("f-channel").value = state.channel;
    $("f-campaign").value = state.campaign;
    $("f-segment").value = state.segment;
    $("f-grade").value = state.fit_grade;
    $("f-group").value = state.quality_group;
    Array.prototype.forEach.call(document.querySelectorAll(".seg-btn[data-mode]"), function (b) {
      b.setAttribute("aria-pressed", b.dataset.mode === state.mode ? "true" : "false");
    });
  }

  var filterTimer = null;
  function onFilterChange(immediate) {
    clearTimeout(filterTimer);
    filterTimer = setTimeout(function () {
      writeStateToUrl();
      refresh();
    }, immediate ? 0 : 400);
  }

  function initFilters() {
    var ch = $("f-channel");
    CHANNELS.forEach(function (c) { ch.appendChild(el("option", { value: c, text: humanize(c) })); });
    readStateFromUrl();
    syncForm();

    $("f-range").addEventListener("change", function () {
      state.range = this.value;
      if (state.range !== "custom") {
        var r = presetRange(state.range);
        state.from = r.from; state.to = r.to;
        syncForm();
      }
      onFilterChange(true);
    });
    [["f-from", "from"], ["f-to", "to"]].forEach(function (pair) {
      $(pair[0]).addEventListener("change", function () {
        state[pair[1]] = this.value;
        state.range = state.from || state.to ? "custom" : "all";
        $("f-range").value = state.range;
        onFilterChange(true);
      });
    });
    [["f-source", "source_system"], ["f-campaign", "campaign"], ["f-segment", "segment"]]
      .forEach(function (pair) {
        var input = $(pair[0]);
        input.addEventListener("input", function () {
          state[pair[1]] = this.value.trim();
          onFilterChange(false);
        });
        input.addEventListener("change", function () {
          state[pair[1]] = this.value.trim();
          onFilterChange(true);
        });
      });
    [["f-channel", "channel"], ["f-grade", "fit_grade"], ["f-group", "quality_group"]]
      .forEach(function (pair) {
        $(pair[0]).addEventListener("change", function () {
          state[pair[1]] = this.value;
          onFilterChange(true);
        });
      });
    Array.prototype.forEach.call(document.querySelectorAll(".seg-btn[data-mode]"), function (b) {
      b.addEventListener("click", function () {
        state.mode = b.dataset.mode;
        syncForm();
        onFilterChange(true);
      });
    });
    $("filters").addEventListener("submit", function (ev) { ev.preventDefault(); onFilterChange(true); });
    $("filters-reset").addEventListener("click", function () {
      state.range = "all"; state.from = ""; state.to = ""; state.source_system = "";
      state.channel = ""; state.campaign = ""; state.segment = ""; state.fit_grade = "";
      syncForm();
      onFilterChange(true);
    });
  }

  // Suggestions for the free-text filters from the values the reports returned.
  var seen = { source_system: {}, campaign: {} };
  function remember(dim, value) {
    if (!value || !seen[dim] || seen[dim][value]) return;
    seen[dim][value] = true;
    var list = $(dim === "source_system" ? "dl-source" : "dl-campaign");
    if (list) list.appendChild(el("option", { value: value }));
  }

  // ------------------------------------------------------------------------------------------
  // cards
  // ------------------------------------------------------------------------------------------

  // Each card: the requests it makes (name -> [path, params]; the first is the "main" one that
  // the CSV link and data-query describe) and a render(results) returning the body's nodes.
  var CARDS = [
    { id: "funnel", requests: function () {
        return { funnel: ["/v1/reports/funnel", Object.assign({ mode: state.mode }, commonParams())],
                 conversion: ["/v1/reports/conversion", commonParams()] };
      }, render: renderFunnel },
    { id: "velocity", requests: function () {
        return { velocity: ["/v1/reports/velocity", commonParams()] };
      }, render: renderVelocity },
    { id: "quality", requests: function () {
        return { quality: ["/v1/reports/quality",
                           Object.assign({ group_by: state.quality_group }, commonParams())] };
      }, render: renderQuality },
    { id: "winloss", requests: function () {
        return { winloss: ["/v1/reports/winloss", commonParams()] };
      }, render: renderWinLoss },
    { id: "attribution", requests: function () {
        return { attribution: ["/v1/reports/attribution", commonParams()],
                 comp: ["/v1/comp-summary", {}] };
      }, render: renderAttribution },
    { id: "sla", requests: function () {
        return { sla: ["/v1/reports/sla", commonParams()] };
      }, render: renderSla },
    { id: "recycle", requests: function () {
        return { recycle: ["/v1/reports/recycle",
                           Object.assign({ group_by: "recycle_reason" }, commonParams())] };
      }, render: renderRecycle },
    { id: "model", requests: function () {
        return { model: ["/v1/model", { runs: 10 }] };
      }, render: renderModel }
  ];

  var controllers = {};
  var generation = 0;

  function errorBox(err, compact) {
    var isAuth = err && (err.status === 401 || err.status === 403);
    var title = isAuth ? "A reader token is needed"
                       : (err && err.status ? "The report failed (HTTP " + err.status + ")"
                                            : "The report could not be loaded");
    var detail = isAuth ? "Enter a reader token under “Token” at the top right."
                        : (err && err.message ? err.message : String(err));
    var violations = err && err.violations && err.violations.length
      ? el("ul", { "class": "violations" }, err.violations.map(function (v) {
          return el("li", null, [el("code", { text: v.field || "" }), " ", v.description || ""]);
        }))
      : null;
    return el("div", { "class": "error" + (compact ? " compact" : "") + (isAuth ? " auth" : ""),
                       role: "alert" }, [
      el("strong", { text: title }),
      el("span", { "class": "error-detail", text: isAuth ? detail : (err.path ? err.path + ": " : "") + detail }),
      violations
    ]);
  }

  function loadCard(card, gen) {
    var section = $("card-" + card.id);
    var body = section.querySelector(".card-body");
    if (controllers[card.id]) controllers[card.id].abort();
    var ctl = typeof AbortController === "function" ? new AbortController() : null;
    controllers[card.id] = ctl;
    var reqs = card.requests();
    var names = Object.keys(reqs);
    var main = reqs[names[0]];
    section.dataset.query = queryString(main[1]);
    var csv = section.querySelector("a.csv");
    if (csv) csv.href = apiUrl(main[0], Object.assign({}, main[1], { format: "csv" }));
    section.classList.add("is-loading");
    body.setAttribute("aria-busy", "true");

    return Promise.all(names.map(function (n) {
      return api(reqs[n][0], reqs[n][1], { signal: ctl ? ctl.signal : undefined })
        .then(function (data) { return { name: n, data: data }; },
              function (err) { return { name: n, error: err }; });
    })).then(function (settled) {
      if (gen !== generation) return;  // superseded by a newer load
      var results = {};
      var errors = [];
      settled.forEach(function (s) {
        if (s.error && s.error.name === "AbortError") return;
        results[s.name] = s;
        if (s.error) errors.push(s.error);
      });
      if (Object.keys(results).length < names.length) return;  // aborted
      var nodes = [];
      var st = "ok";
      if (errors.length === names.length) {
        st = "error";
        nodes = errors.map(function (e) { return errorBox(e, false); });
      } else {
        try {
          nodes = [].concat(card.render(results) || []);
        } catch (e) {
          bumpErrors();
          console.error("dashboard: rendering " + card.id + " failed:", e);
          nodes = [errorBox(new ApiError(0, "rendering failed: " + (e && e.message), [], ""), false)];
          st = "error";
        }
        // Errors the renderer did not show itself (it marks those it did with .shown).
        var unshown = names.filter(function (n) { return results[n].error && !results[n].shown; })
          .map(function (n) { return results[n].error; });
        if (errors.length && st === "ok") st = "partial";
        if (unshown.length) {
          nodes = unshown.map(function (e) { return errorBox(e, true); }).concat(nodes);
        }
      }
      body.replaceChildren.apply(body, nodes);
      section.dataset.state = st;
      section.classList.remove("is-loading");
      body.setAttribute("aria-busy", "false");
    });
  }

  var refreshTimer = null;
  var firstLoadDone = false;
  var loading = null;

  function refresh() {
    clearTimeout(refreshTimer);
    var gen = ++generation;
    var started = Date.now();
    var all = CARDS.map(function (c) {
      return loadCard(c, gen).catch(function (e) {
        bumpErrors();
        console.error("dashboard: loading " + c.id + " failed:", e);
      });
    });
    loading = Promise.all(all).then(function () {
      if (gen !== generation) return;
      if (!firstLoadDone) {
        firstLoadDone = true;
        document.body.dataset.ready = "1";
      }
      var failed = document.querySelectorAll('.card[data-state="error"], .card[data-state="partial"]').length;
      $("freshness").textContent = headerLine() + " · updated " +
        new Date().toLocaleTimeString(LOCALE, { hour12: false }) +
        (failed ? " · " + failed + (failed === 1 ? " card has" : " cards have") + " errors" : "");
      scheduleRefresh(Math.max(1000, REFRESH_MS - (Date.now() - started)));
    });
    return loading;
  }

  function scheduleRefresh(ms) {
    clearTimeout(refreshTimer);
    if (!$("auto-refresh").checked) return;
    refreshTimer = setTimeout(function () {
      if (document.hidden) { scheduleRefresh(REFRESH_MS); return; }
      refresh();
    }, ms);
  }

  var meta = null;
  function headerLine() {
    if (!meta || !meta.completeThrough) return "Lead-cycle reports";
    return "Data complete through " + fmtTime(meta.completeThrough);
  }

  // ------------------------------------------------------------------------------------------
  // renderers
  // ------------------------------------------------------------------------------------------

  function renderFunnel(r) {
    var out = [];
    if (r.funnel.error) { r.funnel.shown = true; return [errorBox(r.funnel.error, false)]; }
    var resp = r.funnel.data || {};
    meta = resp.metadata || null;
    var foot = $("foot-config");
    if (foot) {
      foot.replaceChildren("config v", metric("funnel.metadata.config_version",
        meta && meta.configVersion, "int"), " · data complete through ",
        metric("funnel.metadata.complete_through", meta && meta.completeThrough, "time"));
    }
    var row = rowsOf(resp)[0];
    if (!row) return [empty("No lead-cycles in this period.")];
    var stages = Array.isArray(row.stages) ? row.stages : [];
    var byStage = {};
    stages.forEach(function (s) { byStage[s.stage] = s; });
    var conv = {};
    if (r.conversion && r.conversion.data) {
      rowsOf(r.conversion.data).forEach(function (c) {
        if (keyOf(c) === "total") conv[c.fromStage + ">" + c.toStage] = c;
      });
    }
    var path = MAIN_PATH.filter(function (s) { return byStage[s]; });
    var top = path.length ? toNum(byStage[path[0]].entered) : 0;
    var max = Math.max.apply(null, [1].concat(path.map(function (s) {
      return toNum(byStage[s].entered);
    })));

    var list = el("ol", { "class": "funnel" });
    path.forEach(function (s, i) {
      var sc = byStage[s];
      var n = toNum(sc.entered);
      if (i > 0) {
        var from = path[i - 1];
        var c = conv[from + ">" + s];
        list.appendChild(el("li", { "class": "funnel-step", "aria-label":
            "Conversion " + stageLabel(from) + " to " + stageLabel(s) }, c
          ? [el("span", { "class": "arrow", "aria-hidden": "true", text: "↓" }),
             metric("conversion." + from + "." + s + ".rate", c.rate, "pct", "rate"),
             el("span", { "class": "muted" }, [" (", metric("conversion." + from + "." + s +
               ".converted", c.converted, "int"), " of ", metric("conversion." + from + "." + s +
               ".entered", c.entered, "int"), ")"])]
          : [el("span", { "class": "arrow", "aria-hidden": "true", text: "↓" }),
             el("span", { "class": "muted", text: "no conversion data" })]));
      }
      var share = top > 0 ? n / top : 0;
      list.appendChild(el("li", { "class": "funnel-row" + (s === "STAGE_WON" ? " won" : "") }, [
        el("span", { "class": "funnel-label", text: stageLabel(s) }),
        el("span", { "class": "funnel-bar" }, funnelBar(n / max, stageLabel(s) + ": " + fmtInt(n))),
        el("span", { "class": "funnel-num" }, [
          metric("funnel." + s + ".entered", sc.entered, "int", "big"),
          el("span", { "class": "funnel-cur", title: "Still in this stage" },
             [metric("funnel." + s + ".current", sc.current, "int"), " now"]),
          i > 0 ? el("span", { "class": "funnel-share", title: "Share of " + stageLabel(path[0]),
                               text: pctFmt.format(share) + " of top" }) : null
        ])
      ]));
    });
    out.push(list);

    var side = stages.filter(function (s) { return MAIN_PATH.indexOf(s.stage) < 0; });
    if (side.length) {
      out.push(el("div", { "class": "side-counts", role: "group", "aria-label": "Other stages" },
        side.map(function (s) {
          return el("div", { "class": "chip-stat" }, [
            el("span", { "class": "chip-label", text: stageLabel(s.stage) }),
            metric("funnel." + s.stage + ".entered", s.entered, "int", "chip-value"),
            el("span", { "class": "chip-cur" }, [metric("funnel." + s.stage + ".current",
              s.current, "int"), " now"])
          ]);
        })));
    }
    return out;
  }

  // A centered funnel bar: width proportional to the stage's share of the widest stage.
  function funnelBar(fraction, label) {
    var f = Math.max(0, Math.min(1, fraction));
    var w = Math.max(1, f * 100);
    return svg("svg", { "class": "fbar", viewBox: "0 0 100 10", preserveAspectRatio: "none",
                        role: "img", "aria-label": label, focusable: "false" }, [
      svg("rect", { "class": "fbar-fill", x: (100 - w) / 2, y: 0, width: w, height: 10, rx: 1 })
    ]);
  }

  function renderVelocity(r) {
    var rows = rowsOf(r.velocity.data).filter(function (v) { return keyOf(v) === "total"; });
    if (!rows.length) return [empty("No stage transitions in this period.")];
    var order = function (v) { var i = MAIN_PATH.indexOf(v.fromStage); return i < 0 ? 99 : i; };
    rows.sort(function (a, b) { return order(a) - order(b); });
    var max = Math.max.apply(null, [1].concat(rows.map(function (v) {
      return Math.max(durSeconds(v.p90), durSeconds(v.median));
    })));
    var list = el("div", { "class": "velocity" });
    rows.forEach(function (v) {
      var base = "velocity." + v.fromStage + "." + v.toStage + ".";
      var label = stageLabel(v.fromStage) + " → " + stageLabel(v.toStage);
      list.appendChild(el("div", { "class": "vel-row" }, [
        el("div", { "class": "vel-head" }, [
          el("span", { "class": "vel-label", text: label }),
          el("span", { "class": "muted small" }, ["n = ", metric(base + "count", v.count, "int")])
        ]),
        el("div", { "class": "vel-bars" }, [
          el("span", { "class": "vel-key", text: "median" }),
          bar(durSeconds(v.median) / max, "c-primary", label + " median " + fmtDuration(v.median)),
          metric(base + "median", v.median, "dur", "vel-val"),
          el("span", { "class": "vel-key", text: "p90" }),
          bar(durSeconds(v.p90) / max, "c-soft", label + " p90 " + fmtDuration(v.p90)),
          metric(base + "p90", v.p90, "dur", "vel-val")
        ])
      ]));
    });
    return [list];
  }

  function renderSla(r) {
    var rows = rowsOf(r.sla.data);
    var row = totalRow(r.sla.data) || rows[0];
    if (!row) return [empty("No handoffs in this period.")];
    var k = "sla." + keyOf(row) + ".";
    return [
      el("div", { "class": "sla-top" }, [
        donut(row.complianceRate, metric(k + "compliance_rate", row.complianceRate, "pct", "big"),
              "SLA compliance " + fmtPct(row.complianceRate), "c-good"),
        el("div", { "class": "stats stats-2" }, [
          stat("Handed off", metric(k + "handed_off", row.handedOff, "int")),
          stat("Pending", metric(k + "pending", row.pending, "int")),
          stat("Median answer", metric(k + "median_time_to_answer", row.medianTimeToAnswer, "dur")),
          stat("p90 answer", metric(k + "p90_time_to_answer", row.p90TimeToAnswer, "dur"))
        ])
      ]),
      el("div", { "class": "share" }, [
        stackedBar([
          { value: row.acceptedWithinSla, cls: "c-good", label: "Accepted in SLA" },
          { value: row.rejectedWithinSla, cls: "c-primary", label: "Rejected in SLA" },
          { value: row.answeredLate, cls: "c-soft", label: "Answered late" },
          { value: row.expired, cls: "c-bad", label: "Expired" },
          { value: row.pending, cls: "c-muted", label: "Pending" }], 0,
          "Handoff outcomes: " + fmtInt(row.acceptedWithinSla) + " accepted in SLA, " +
          fmtInt(row.rejectedWithinSla) + " rejected in SLA, " + fmtInt(row.answeredLate) +
          " late, " + fmtInt(row.expired) + " expired, " + fmtInt(row.pending) + " pending"),
        legend([{ cls: "c-good", label: "Accepted in SLA" }, { cls: "c-primary", label: "Rejected in SLA" },
                { cls: "c-soft", label: "Late" }, { cls: "c-bad", label: "Expired" },
                { cls: "c-muted", label: "Pending" }])
      ]),
      el("dl", { "class": "kv" }, [
        kv("Accepted in SLA", metric(k + "accepted_within_sla", row.acceptedWithinSla, "int")),
        kv("Rejected in SLA", metric(k + "rejected_within_sla", row.rejectedWithinSla, "int")),
        kv("Answered late", metric(k + "answered_late", row.answeredLate, "int")),
        kv("Expired", metric(k + "expired", row.expired, "int")),
        kv("Escalated", metric(k + "escalated", row.escalated, "int")),
        kv("Reassigned", metric(k + "reassigned", row.reassigned, "int"))
      ])
    ];
  }

  function kv(label, node) {
    return el("div", { "class": "kv-item" }, [el("dt", { text: label }), el("dd", null, node)]);
  }

  function renderQuality(r) {
    var rows = rowsOf(r.quality.data).slice();
    if (!rows.length) return [empty("No leads in this period.")];
    rows.sort(function (a, b) { return toNum(b.leads) - toNum(a.leads); });
    var dim = state.quality_group;
    rows.forEach(function (q) { if (dim !== "channel") remember(dim, keyOf(q)); });

    // Rejection reasons over all groups (a derived sum, so not a data-metric).
    var reasons = {};
    rows.forEach(function (q) {
      (q.rejectionReasons || []).forEach(function (rc) {
        var code = rc.reason && rc.reason.code || "(none)";
        if (!reasons[code]) reasons[code] = { text: rc.reason && rc.reason.text, n: 0 };
        reasons[code].n += toNum(rc.count);
      });
    });
    var reasonList = Object.keys(reasons).sort(function (a, b) { return reasons[b].n - reasons[a].n; });
    var reasonMax = reasonList.length ? reasons[reasonList[0]].n : 1;

    var body = rows.map(function (q) {
      var k = "quality." + keyOf(q) + ".";
      var rr = (q.rejectionReasons || []);
      return el("tr", null, [
        el("th", { scope: "row", "class": "group", title: keyOf(q), text: labelOf(q) }),
        td(metric(k + "leads", q.leads, "int"), "num"),
        td(metric(k + "mql", q.mql, "int"), "num"),
        td(metric(k + "accepted", q.accepted, "int"), "num"),
        td(metric(k + "rejected", q.rejected, "int"), "num"),
        td(el("div", { "class": "rate-cell" }, [
          bar(q.acceptanceRate, "c-good", "Acceptance " + fmtPct(q.acceptanceRate)),
          metric(k + "acceptance_rate", q.acceptanceRate, "pct")]), "rate"),
        td(metric(k + "won", q.won, "int"), "num"),
        td(metric(k + "pipeline_amount", q.pipelineAmount, "money"), "num"),
        td(metric(k + "won_amount", q.wonAmount, "money"), "num"),
        td(metric(k + "value_per_lead", q.valuePerLead, "money", "strong"), "num"),
        td(rr.length ? el("ul", { "class": "chips" }, rr.map(function (rc) {
          var code = rc.reason && rc.reason.code || "(none)";
          return el("li", { "class": "chip", title: rc.reason && rc.reason.text || code }, [
            reasonLabel(code), " ", metric(k + "rejection_reasons." + code + ".count", rc.count, "int",
                                        "chip-n")]);
        })) : el("span", { "class": "muted", text: "—" }), "reasons")
      ]);
    });
    var groupLabel = { source_system: "Source system", channel: "Channel", campaign: "Campaign" }[dim];
    var out = [table("Lead quality by " + groupLabel.toLowerCase(),
                     [groupLabel, "#Leads", "#MQL", "#Accepted", "#Rejected", "Acceptance", "#Won",
                      "#Pipeline", "#Won revenue", "#Value / lead", "Rejection reasons"], body, "tall")];
    if (reasonList.length) {
      out.push(el("div", { "class": "subsection" }, [
        el("h3", { text: "Rejection reasons, all groups" }),
        el("div", { "class": "reason-bars" }, reasonList.slice(0, 8).map(function (code) {
          return el("div", { "class": "reason-row", title: reasons[code].text || code }, [
            el("span", { "class": "reason-label", text: reasonLabel(code) }),
            bar(reasons[code].n / reasonMax, "c-bad", reasonLabel(code) + ": " + fmtInt(reasons[code].n)),
            el("span", { "class": "reason-n", "data-derived": "quality.rejection_reasons." + code,
                         text: fmtInt(reasons[code].n) })
          ]);
        }))
      ]));
    }
    return out;
  }

  function reasonBars(prefix, list, cls, title) {
    if (!list || !list.length) return el("div", { "class": "subsection" }, [
      el("h3", { text: title }), el("p", { "class": "muted small", text: "None recorded." })]);
    var max = Math.max.apply(null, [1].concat(list.map(function (x) { return toNum(x.count); })));
    return el("div", { "class": "subsection" }, [
      el("h3", { text: title }),
      el("div", { "class": "reason-bars" }, list.map(function (rc) {
        var code = rc.reason && rc.reason.code || "(none)";
        return el("div", { "class": "reason-row", title: rc.reason && rc.reason.text || code }, [
          el("span", { "class": "reason-label", text: reasonLabel(code) }),
          bar(toNum(rc.count) / max, cls, reasonLabel(code) + ": " + fmtInt(rc.count)),
          metric(prefix + code + ".count", rc.count, "int", "reason-n")
        ]);
      }))
    ]);
  }

  function renderWinLoss(r) {
    var rows = rowsOf(r.winloss.data);
    var row = totalRow(r.winloss.data) || rows[0];
    if (!row) return [empty("No opportunities closed in this period.")];
    var k = "winloss." + keyOf(row) + ".";
    var comps = row.competitors || [];
    var out = [
      el("div", { "class": "wl-top" }, [
        donut(row.winRate, metric(k + "win_rate", row.winRate, "pct", "big"),
              "Win rate " + fmtPct(row.winRate), "c-good"),
        el("div", { "class": "stats stats-2" }, [
          stat("Won", metric(k + "won", row.won, "int"), metric(k + "won_amount", row.wonAmount, "money"),
               "good"),
          stat("Lost", metric(k + "lost", row.lost, "int"), metric(k + "lost_amount", row.lostAmount,
               "money"), "bad"),
          stat("Median sales cycle", metric(k + "median_sales_cycle", row.medianSalesCycle, "dur"))
        ])
      ]),
      el("div", { "class": "two-col" }, [
        reasonBars(k + "loss_reasons.", row.lossReasons, "c-bad", "Loss reasons"),
        reasonBars(k + "win_reasons.", row.winReasons, "c-good", "Win reasons")
      ])
    ];
    var compBody = comps.map(function (c) {
      var name = c.competitor || "(none)";
      var ck = k + "competitors." + name + ".";
      return el("tr", null, [
        el("th", { scope: "row", text: name }),
        td(metric(ck + "won", c.won, "int"), "num"),
        td(metric(ck + "lost", c.lost, "int"), "num"),
        td(stackedBar([{ value: c.won, cls: "c-good", label: "Won" },
                       { value: c.lost, cls: "c-bad", label: "Lost" }], 0,
                      name + ": won " + fmtInt(c.won) + ", lost " + fmtInt(c.lost)), "rate")
      ]);
    });
    out.push(el("div", { "class": "subsection" }, [
      el("h3", { text: "Competitors" }),
      comps.length ? table("Deals against competitors", ["Competitor", "#Won", "#Lost", "Won vs lost"],
                           compBody)
                   : el("p", { "class": "muted small", text: "No competitors recorded." })
    ]));
    return out;
  }

  function renderAttribution(r) {
    var out = [];
    if (r.attribution.error) {
      r.attribution.shown = true;
      out.push(errorBox(r.attribution.error, false));
    } else {
      var resp = r.attribution.data || {};
      var rows = rowsOf(resp);
      var row = totalRow(resp) || rows[0];
      if (!row) {
        out.push(empty("No closed-won deals in this period."));
      } else {
        var k = "attribution." + keyOf(row) + ".";
        var share = toNum(row.marketingSourcedShare);
        out.push(el("div", { "class": "attr-top" }, [
          stat("Marketing-sourced share", metric(k + "marketing_sourced_share",
               row.marketingSourcedShare, "pct"), null, "hero"),
          stat("Marketing-sourced revenue", metric(k + "marketing_sourced_amount",
               row.marketingSourcedAmount, "money"), null, "hero"),
          stat("Accelerated credit", metric(k + "accelerated_credit", row.acceleratedCredit, "money"),
               "quota credit with product accelerators", "hero")
        ]));
        out.push(el("div", { "class": "share" }, [
          stackedBar([{ value: share, cls: "c-primary", label: "Marketing-sourced" },
                      { value: Math.max(0, 1 - share), cls: "c-muted", label: "Other" }], 1,
                     "Marketing-sourced " + fmtPct(share) + " of won revenue"),
          legend([{ cls: "c-primary", label: "Marketing-sourced" }, { cls: "c-muted", label: "Other won revenue" }])
        ]));
        out.push(el("dl", { "class": "kv kv-2" }, [
          kv("Won revenue", metric(k + "won_amount", row.wonAmount, "money")),
          kv("Won deals", metric(k + "won_deals", row.wonDeals, "int")),
          kv("Marketing-sourced deals", metric(k + "marketing_sourced_deals",
             row.marketingSourcedDeals, "int")),
          kv("Evaluated under", el("span", null, [
            toNum(resp.compSummaryVersion) === 0 ? "per-deal annotations " : "comp summary v",
            metric("attribution.comp_summary_version", resp.compSummaryVersion, "int",
                   toNum(resp.compSummaryVersion) === 0 ? "sr-only" : null)]))
        ]));
      }
    }
    // The comp plan in force.
    var plan = el("div", { "class": "subsection plan" });
    plan.appendChild(el("h3", { text: "Comp plan" }));
    if (r.comp && r.comp.error) {
      r.comp.shown = true;
      plan.appendChild(errorBox(r.comp.error, true));
    } else if (r.comp && r.comp.data) {
      var c = r.comp.data;
      var sum = c.summary || {};
      plan.appendChild(el("p", { "class": "plan-head" }, [
        metric("comp.plan_name", sum.planName, "text", "strong"), " · version ",
        metric("comp.version", c.version, "int"),
        sum.effectiveFrom ? " · from " + fmtDate(sum.effectiveFrom) : "",
        sum.effectiveUntil ? " until " + fmtDate(sum.effectiveUntil) : ""
      ]));
      var products = (sum.products || []).filter(function (p) { return toNum(p.acceleratorPercent) > 100; });
      if (products.length) {
        plan.appendChild(el("ul", { "class": "chips" }, products.map(function (p) {
          return el("li", { "class": "chip accent", title: p.productId }, [
            (p.name || p.productId) + " ",
            metric("comp.products." + p.productId + ".accelerator_percent", p.acceleratorPercent,
                   "int", "chip-n"), "%"]);
        })));
      }
      var text = c.text || (r.attribution.data && r.attribution.data.compSummaryText) ||
                 sum.summaryText || "";
      plan.appendChild(text ? el("div", { "class": "plan-text", tabindex: "0", role: "region",
                                          "aria-label": "Comp plan text", text: text })
                            : el("p", { "class": "muted small", text: "No plan text." }));
    }
    out.push(plan);
    return out;
  }

  function renderRecycle(r) {
    var rows = rowsOf(r.recycle.data).slice();
    if (!rows.length) return [empty("No lead-cycles were recycled in this period.")];
    rows.sort(function (a, b) { return toNum(b.recycled) - toNum(a.recycled); });
    var segs = [
      { f: "wonLater", cls: "c-good", label: "Won later" },
      { f: "acceptedLater", cls: "c-primary", label: "Accepted later" },
      { f: "requalified", cls: "c-soft", label: "Requalified" },
      { f: "nurturing", cls: "c-muted", label: "Still nurturing" },
      { f: "archived", cls: "c-bad", label: "Archived" }
    ];
    var body = rows.map(function (q) {
      var k = "recycle." + keyOf(q) + ".";
      // Outcomes are nested (won ⊂ accepted ⊂ requalified), so the bar shows exclusive parts.
      var won = toNum(q.wonLater), acc = toNum(q.acceptedLater), req = toNum(q.requalified);
      var parts = [won, Math.max(0, acc - won), Math.max(0, req - acc), toNum(q.nurturing),
                   toNum(q.archived)];
      return el("tr", null, [
        el("th", { scope: "row", "class": "group", title: keyOf(q), text: labelOf(q) }),
        td(metric(k + "recycled", q.recycled, "int"), "num"),
        td(metric(k + "released", q.released, "int"), "num"),
        td(metric(k + "requalified", q.requalified, "int"), "num"),
        td(metric(k + "accepted_later", q.acceptedLater, "int"), "num"),
        td(metric(k + "won_later", q.wonLater, "int"), "num"),
        td(metric(k + "nurturing", q.nurturing, "int"), "num"),
        td(metric(k + "archived", q.archived, "int"), "num"),
        td(metric(k + "requalify_rate", q.requalifyRate, "pct", "strong"), "num"),
        td(metric(k + "won_later_amount", q.wonLaterAmount, "money"), "num"),
        td(metric(k + "median_time_to_requalify", q.medianTimeToRequalify, "dur"), "num"),
        td(stackedBar(segs.map(function (s, i) {
          return { value: parts[i], cls: s.cls, label: s.label };
        }), toNum(q.recycled) || 0, labelOf(q) + ": outcomes of " + fmtInt(q.recycled) +
          " recycled"), "rate wide")
      ]);
    });
    return [
      table("Recycle effectiveness by reason", ["Reason", "#Recycled", "#Released", "#Requalified",
            "#Accepted", "#Won", "#Nurturing", "#Archived", "#Requalify rate", "#Won later",
            "#Time to MQL", "Outcomes"], body),
      legend(segs)
    ];
  }

  function renderModel(r) {
    var resp = r.model.data || {};
    var cur = resp.current;
    var runs = Array.isArray(resp.runs) ? resp.runs : [];
    var out = [];
    if (cur) {
      var m = cur.metrics || {};
      out.push(el("div", { "class": "model-top" }, [
        stat("Published model", metric("model.version", cur.modelVersion, "text", "mono"),
             ["trained ", metric("model.trained_at", cur.trainedAt, "time")], "wide"),
        stat("Status", metric("model.active", !!cur.active, "bool", cur.active ? "pill ok" : "pill warn"),
             cur.active ? "applied to scoring" : "not applied (below threshold)"),
        stat("AUC", metric("model.auc", m.auc, "dec"), "held-out, 0.5 = chance", aucClass(m.auc)),
        stat("Calibration error", metric("model.calibration_error", m.calibrationError, "dec"),
             "expected, 0 = calibrated"),
        stat("Log loss", metric("model.log_loss", m.logLoss, "dec")),
        stat("Outcomes", el("span", { "class": "stat-mid" }, [metric("model.won", m.won, "int"), " won · ",
             metric("model.lost", m.lost, "int"), " lost"]), el("span", null, [
             metric("model.training_examples", m.trainingExamples, "int"), " train · ",
             metric("model.validation_examples", m.validationExamples, "int"), " held out"]))
      ]));
    } else {
      out.push(el("p", { "class": "empty", text: "No scoring model has been published yet." }));
    }
    if (!runs.length) {
      out.push(el("p", { "class": "muted small", text: "No training runs yet." }));
      return out;
    }
    out.push(el("div", { "class": "model-runs" }, [
      el("div", { "class": "subsection" }, [el("h3", { text: "AUC of recent runs" }), runsChart(runs)]),
      el("div", { "class": "subsection" }, [el("h3", { text: "Recent training runs" }),
        table("Recent training runs", ["Model", "Trained", "#AUC", "#Calibration", "Published",
                                       "Decision"],
          runs.map(function (run, i) {
            var mm = run.model || {};
            var met = mm.metrics || {};
            var k = "model.runs." + i + ".";
            return el("tr", { "class": run.published ? "published" : null }, [
              el("th", { scope: "row" }, metric(k + "version", mm.modelVersion, "text", "mono")),
              td(metric(k + "trained_at", mm.trainedAt, "time")),
              td(metric(k + "auc", met.auc, "dec"), "num"),
              td(metric(k + "calibration_error", met.calibrationError, "dec"), "num"),
              td(metric(k + "published", !!run.published, "bool",
                        run.published ? "pill ok" : "pill")),
              td(run.decision || "—", "decision")
            ]);
          }))])
    ]));
    return out;
  }

  function aucClass(auc) {
    var a = toNum(auc);
    return a >= 0.75 ? "good" : a >= 0.65 ? null : "bad";
  }

  // A line chart of AUC per run (oldest left), published runs as filled dots, muted grid.
  function runsChart(runs) {
    var pts = runs.slice().reverse().map(function (run) {
      var met = run.model && run.model.metrics || {};
      return { auc: toNum(met.auc), pub: !!run.published,
               label: (run.model && run.model.modelVersion) || "" };
    });
    var W = 860, H = 190, L = 36, R = 14, T = 10, B = 24;
    var lo = Math.min(0.5, Math.min.apply(null, pts.map(function (p) { return p.auc; })));
    lo = Math.floor(lo * 10) / 10;
    var hi = 1;
    var x = function (i) { return L + (pts.length === 1 ? (W - L - R) / 2 : i * (W - L - R) / (pts.length - 1)); };
    var y = function (v) { return T + (hi - v) / (hi - lo) * (H - T - B); };
    var nodes = [];
    for (var g = lo; g <= hi + 1e-9; g += 0.1) {
      nodes.push(svg("line", { "class": "grid", x1: L, x2: W - R, y1: y(g), y2: y(g) }));
      nodes.push(svg("text", { "class": "axis", x: L - 6, y: y(g) + 3, "text-anchor": "end",
                               text: g.toFixed(1) }));
    }
    nodes.push(svg("line", { "class": "ref", x1: L, x2: W - R, y1: y(0.5), y2: y(0.5) }));
    if (pts.length > 1) {
      nodes.push(svg("polyline", { "class": "line", points: pts.map(function (p, i) {
        return x(i).toFixed(1) + "," + y(p.auc).toFixed(1);
      }).join(" ") }));
    }
    pts.forEach(function (p, i) {
      nodes.push(svg("circle", { "class": "dot" + (p.pub ? " pub" : ""), cx: x(i), cy: y(p.auc), r: 4 },
                     svg("title", { text: p.label + ": AUC " + fmtDec(p.auc) +
                                          (p.pub ? " (published)" : "") })));
    });
    nodes.push(svg("text", { "class": "axis", x: L, y: H - 6, text: "older" }));
    nodes.push(svg("text", { "class": "axis", x: W - R, y: H - 6, "text-anchor": "end", text: "newest" }));
    return el("div", { "class": "chart" }, [
      svg("svg", { "class": "line-chart", viewBox: "0 0 " + W + " " + H, role: "img",
                   "aria-label": "AUC of the last " + pts.length + " training runs; filled dots were published",
                   focusable: "false" }, nodes),
      legend([{ cls: "dot-pub", label: "published" }, { cls: "dot-not", label: "not published" }])
    ]);
  }

  // ------------------------------------------------------------------------------------------
  // token, CSV, startup
  // ------------------------------------------------------------------------------------------

  function initToken() {
    var input = $("token-input");
    var stateEl = $("token-state");
    var summary = $("token-summary");
    var show = function () {
      var has = !!(getToken() || memToken);
      summary.textContent = has ? "Token ✓" : "Token";
      summary.setAttribute("aria-label", has ? "Reader token (set)" : "Reader token (not set)");
      stateEl.textContent = has ? "A token is stored in this browser." : "Stored in this browser only.";
    };
    show();
    $("token-form").addEventListener("submit", function (ev) {
      ev.preventDefault();
      setToken(input.value.trim());
      input.value = "";
      show();
      $("token-box").open = false;
      refresh();
    });
    $("token-clear").addEventListener("click", function () {
      setToken("");
      memToken = "";
      input.value = "";
      show();
      refresh();
    });
  }

  // CSV links work as plain links; with a token they fetch with the header and save a blob.
  function initCsv() {
    document.addEventListener("click", function (ev) {
      var a = ev.target && ev.target.closest ? ev.target.closest("a.csv") : null;
      if (!a || !(getToken() || memToken)) return;
      ev.preventDefault();
      var u = new URL(a.href, window.location.href);
      var params = {};
      u.searchParams.forEach(function (v, k) { params[k] = v; });
      api(u.pathname, params).then(function (text) {
        var url = URL.createObjectURL(new Blob([text], { type: "text/csv" }));
        var dl = el("a", { href: url, download: (a.dataset.csv || "report") + ".csv" });
        document.body.appendChild(dl);
        dl.click();
        dl.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
      }, function () { /* counted and logged by api() */ });
    });
    Array.prototype.forEach.call(document.querySelectorAll("a.csv"), function (a) {
      a.setAttribute("download", (a.dataset.csv || "report") + ".csv");
      a.setAttribute("aria-label", "Download " + a.dataset.csv + " as CSV");
    });
  }

  function start() {
    document.body.dataset.ready = "0";
    if (!document.body.dataset.errors) document.body.dataset.errors = "0";
    initFilters();
    initToken();
    initCsv();
    $("refresh-now").addEventListener("click", function () { refresh(); });
    $("auto-refresh").addEventListener("change", function () {
      if (this.checked) scheduleRefresh(REFRESH_MS); else clearTimeout(refreshTimer);
    });
    document.addEventListener("visibilitychange", function () {
      if (!document.hidden && $("auto-refresh").checked && firstLoadDone) refresh();
    });
    refresh();
  }

  // Exposed for tests and the console.
  window.leadflowDashboard = { api: api, refresh: refresh, state: state };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
