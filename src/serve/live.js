// kbc serve: reloads the page after each rebuild (or only refreshes the errors shown over it when
// the pages did not change; after the follow-up build at a pause, only when this page changed) and
// shows the content's errors over it.
// Added by the server to HTML responses only; published files never contain it.
(function () {
  "use strict";
  var BASE = "/__kbc/";
  var ID = "kbc-live-overlay";

  function el(tag, style, text) {
    var e = document.createElement(tag);
    if (style) e.setAttribute("style", style);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function show(status) {
    var old = document.getElementById(ID);
    if (old) old.remove();
    var errors = (status.diagnostics || []).filter(function (d) { return d.severity === "error"; });
    if (!status.error && errors.length === 0) return;
    var box = el("div", "position:fixed;inset:0;z-index:2147483647;overflow:auto;background:rgba(20,20,20,.92);" +
      "color:#eee;font:14px/1.5 ui-monospace,Menlo,Consolas,monospace;padding:2em");
    box.id = ID;
    box.setAttribute("role", "alert");
    var n = errors.length + (status.error ? 1 : 0);
    box.appendChild(el("h2", "margin:0 0 1em;color:#ff8080;font-size:18px",
      "kbc: " + n + (n === 1 ? " error" : " errors") + (status.published ? "" : " (showing the last good build)")));
    if (status.error) box.appendChild(el("pre", "white-space:pre-wrap;margin:0 0 1em", status.error));
    errors.forEach(function (d) {
      var item = el("div", "margin:0 0 1em");
      item.className = "kbc-live-diagnostic";
      item.appendChild(el("div", "color:#9cdcfe", d.file + ":" + d.line + ":" + d.column));
      item.appendChild(el("div", "", "error[" + d.code + "]: " + d.message));
      if (d.label) item.appendChild(el("div", "color:#aaa", d.label));
      box.appendChild(item);
    });
    var close = el("button", "position:absolute;top:1em;right:1em", "×");
    close.setAttribute("aria-label", "Hide");
    close.onclick = function () { box.remove(); };
    box.appendChild(close);
    document.body.appendChild(box);
  }

  function refresh() {
    fetch(BASE + "status", { cache: "no-store" })
      .then(function (r) { return r.json(); })
      .then(show)
      .catch(function () {});
  }

  // What the server said about this page when it served it: the generation of the build it was
  // at least as new as, and a digest of the page. A page compares the digest with the page served
  // now, so it reloads only when what is served for it changed (the home page and indexes are made
  // from every article; an article's page seldom changes in a follow-up build).
  var me = document.currentScript;
  var seen = me ? Number(me.getAttribute("data-generation")) : NaN;
  var page = me ? me.getAttribute("data-page") : null;

  function reloadIfChanged() {
    fetch(location.href, { cache: "no-store" })
      .then(function (r) {
        var now = r.headers.get("x-kbc-page");
        if (r.ok && page && now && now !== page) location.reload();
      })
      .catch(function () {});
  }

  function generation(e) {
    var g = Number(e.data);
    if (g > seen) seen = g;
  }

  refresh();
  if (window.EventSource) {
    var events = new EventSource(BASE + "events");
    // The stream starts with the current generation. A newer one than the page's means it missed
    // events while it loaded (a follow-up build can finish then): catch up as `refreshed` would.
    events.addEventListener("hello", function (e) {
      var missed = Number(e.data) > seen;
      generation(e);
      if (missed) {
        refresh();
        reloadIfChanged();
      }
    });
    events.addEventListener("reload", function () { location.reload(); });
    events.addEventListener("status", function (e) { generation(e); refresh(); });
    events.addEventListener("refreshed", function (e) {
      generation(e);
      refresh();
      reloadIfChanged();
    });
  }
})();
