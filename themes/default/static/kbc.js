/* kbc default theme: the navigation tree (from nav.js) and search (pagefind, loaded on first use).
   Pages work without this file: they carry breadcrumbs and their own branch of the navigation. */
(function () {
  "use strict";
  var doc = document;
  var root = doc.documentElement.getAttribute("data-root") || "";

  function el(tag, attrs, text) {
    var e = doc.createElement(tag);
    for (var k in attrs) if (Object.prototype.hasOwnProperty.call(attrs, k)) e.setAttribute(k, attrs[k]);
    if (text != null) e.textContent = text;
    return e;
  }

  function href(u, external) { return external ? u : root + u; }

  /* Navigation: the whole tree, built lazily (closed branches are built when opened). */
  function buildNav() {
    var nav = doc.getElementById("kbc-nav");
    var data = window.KBC_NAV;
    if (!nav || !Array.isArray(data)) return;
    var current = nav.getAttribute("data-current") || "";
    var onPath = [];
    (function find(nodes, trail) {
      for (var i = 0; i < nodes.length; i++) {
        var n = nodes[i];
        if (n.u === current) { onPath = trail.concat([n]); return true; }
        if (n.c && find(n.c, trail.concat([n]))) return true;
      }
      return false;
    })(data, []);

    function label(n) {
      if (!n.u) return el("span", {}, n.t);
      var a = el("a", { href: href(n.u, n.x) }, n.t);
      if (n.x) a.className = "kbc-ext";
      if (n.u === current) a.setAttribute("aria-current", "page");
      return a;
    }
    function list(nodes) {
      var ul = el("ul", {});
      for (var i = 0; i < nodes.length; i++) ul.appendChild(item(nodes[i]));
      return ul;
    }
    function item(n) {
      var li = el("li", {});
      if (!n.c || !n.c.length) { li.appendChild(label(n)); return li; }
      var d = el("details", {});
      var s = el("summary", {});
      s.appendChild(label(n));
      d.appendChild(s);
      var built = false;
      function build() { if (!built) { built = true; d.appendChild(list(n.c)); } }
      if (onPath.indexOf(n) >= 0) { d.open = true; build(); }
      d.addEventListener("toggle", function () { if (d.open) build(); });
      li.appendChild(d);
      return li;
    }
    var tree = el("div", { "class": "kbc-nav-tree" });
    if (data.length === 1 && data[0].c) {
      tree.appendChild(el("p", { "class": "kbc-nav-group" }, data[0].t));
      tree.appendChild(list(data[0].c));
    } else {
      tree.appendChild(list(data));
    }
    var old = nav.querySelector(".kbc-nav-static");
    if (old) nav.replaceChild(tree, old); else nav.appendChild(tree);
    var here = nav.querySelector('[aria-current="page"]');
    if (here && here.scrollIntoView && nav.scrollHeight > nav.clientHeight) {
      here.scrollIntoView({ block: "center" });
      window.scrollTo(0, 0);
    }
  }

  /* Search: pagefind's index, fetched in small pieces on first use. */
  function setupSearch() {
    var box = doc.getElementById("kbc-search");
    if (!box) return;
    var input = doc.getElementById("kbc-search-input");
    var out = doc.getElementById("kbc-search-results");
    box.hidden = false;
    var loading = null;
    var seq = 0;

    function load() {
      if (!loading) {
        var url = new URL(box.getAttribute("data-dir") + "pagefind.js", doc.baseURI).href;
        /* A large site's index is split in parts built in parallel; the first merges the others. */
        var merge = (box.getAttribute("data-merge") || "").split(" ").filter(Boolean);
        loading = import(url).then(function (pf) {
          return Promise.resolve(pf.options({ excerptLength: 24 }))
            .then(function () {
              return Promise.all(merge.map(function (d) { return pf.mergeIndex(new URL(d, doc.baseURI).href); }));
            })
            .then(function () { return pf.init(); })
            .then(function () { return pf; });
        });
      }
      return loading;
    }
    function show(node) {
      out.textContent = "";
      out.appendChild(node);
      out.hidden = false;
    }
    function local(u) { return root + String(u).replace(/^\//, ""); }
    /* Sub-results whose title holds the matched words first, then those matching more of them. */
    function rank(subs) {
      return subs.map(function (s, i) {
        var found = (s.excerpt || "").match(/<mark>[^<]*<\/mark>/g) || [];
        var words = {};
        found.forEach(function (m) { words[m.slice(6, -7).toLowerCase()] = 1; });
        var keys = Object.keys(words);
        var title = String(s.title || "").toLowerCase();
        var inTitle = keys.filter(function (k) { return title.indexOf(k) >= 0; }).length;
        return { s: s, i: i, t: inTitle, d: keys.length, n: found.length };
      }).sort(function (a, b) { return b.t - a.t || b.d - a.d || b.n - a.n || a.i - b.i; })
        .map(function (x) { return x.s; });
    }
    function render(results, datas) {
      if (!datas.length) { show(el("p", {}, box.getAttribute("data-no-results"))); return; }
      var ol = el("ol", {});
      datas.forEach(function (d) {
        var li = el("li", {});
        var a = el("a", { href: local(d.url), "class": "kbc-result-title" }, (d.meta && d.meta.title) || d.url);
        li.appendChild(a);
        var p = el("p", {});
        p.innerHTML = d.excerpt; /* pagefind escapes the text; only <mark> is markup */
        li.appendChild(p);
        var subs = rank((d.sub_results || []).filter(function (s) { return s.url !== d.url; })).slice(0, 4);
        if (subs.length) {
          var ul = el("ul", {});
          subs.forEach(function (s) {
            var sli = el("li", {});
            sli.appendChild(el("a", { href: local(s.url), "class": "kbc-sub-result" }, s.title));
            ul.appendChild(sli);
          });
          li.appendChild(ul);
        }
        ol.appendChild(li);
      });
      show(ol);
    }
    function run() {
      var q = input.value.trim();
      var mine = ++seq;
      if (!q) { out.hidden = true; out.textContent = ""; return; }
      if (location.protocol === "file:") { show(el("p", {}, box.getAttribute("data-needs-http"))); return; }
      load().then(function (pf) { return pf.debouncedSearch(q, {}, 150); }).then(function (search) {
        if (!search || mine !== seq) return null;
        return Promise.all(search.results.slice(0, 8).map(function (r) { return r.data(); })).then(function (datas) {
          if (mine === seq) render(search.results, datas);
        });
      }).catch(function () { show(el("p", {}, box.getAttribute("data-needs-http"))); });
    }
    input.addEventListener("input", run);
    input.addEventListener("focus", function () { if (location.protocol !== "file:") load().catch(function () {}); }, { once: true });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { input.value = ""; run(); }
    });
    doc.addEventListener("click", function (e) {
      if (!box.contains(e.target) || (e.target.closest && e.target.closest("#kbc-search-results a"))) out.hidden = true;
    });
    input.addEventListener("focus", function () { if (out.childNodes.length) out.hidden = false; });
  }

  function start() { buildNav(); setupSearch(); }
  if (doc.readyState === "loading") doc.addEventListener("DOMContentLoaded", start); else start();
})();
