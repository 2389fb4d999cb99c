// netlings book: theme toggle, ←/→ keys, copy buttons, search, and (under
// `netlings serve`) live reload, lesson status and the check button.
// Plain script, no modules, so it runs from file:// too.
(function () {
  "use strict";
  var root = document.documentElement;
  var lang = root.lang || "en";
  var words_ = {
    en: { copy: "Copy", copied: "Copied", select: "Select and copy", none: "No results for" },
    zh: { copy: "复制", copied: "已复制", select: "请手动选择并复制", none: "没有找到" }
  }[lang] || {};

  // Language: the switch keeps the section the reader is on and remembers
  // the choice; a front page sends a reader who chose another language to
  // theirs.
  document.querySelectorAll(".lang-switch").forEach(function (a) {
    a.addEventListener("click", function () {
      try { localStorage.setItem("netlings-lang", a.dataset.lang); } catch (e) {}
      if (location.hash) a.href = a.href.split("#")[0] + location.hash;
    });
  });
  try {
    var chosen = localStorage.getItem("netlings-lang");
    if (chosen && chosen !== lang && document.body.dataset.page === "index") {
      var to = document.querySelector('.lang-switch[data-lang="' + chosen + '"]');
      if (to) location.replace(to.href);
    }
  } catch (e) {}

  // Theme: the toggle flips the theme the reader sees and remembers it.
  function effectiveTheme() {
    if (root.dataset.theme) return root.dataset.theme;
    return window.matchMedia && matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  var toggle = document.getElementById("theme-toggle");
  if (toggle) toggle.addEventListener("click", function () {
    var next = effectiveTheme() === "dark" ? "light" : "dark";
    root.dataset.theme = next;
    try { localStorage.setItem("netlings-theme", next); } catch (e) {}
  });

  var menu = document.getElementById("menu");
  if (menu) menu.addEventListener("click", function () {
    var toc = document.getElementById("toc");
    var open = toc.classList.toggle("open");
    menu.setAttribute("aria-expanded", open ? "true" : "false");
  });

  // ← and → go to the previous and next chapter; / focuses the search.
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey || e.shiftKey) return;
    var t = e.target;
    if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    if (e.key === "ArrowLeft" || e.key === "ArrowRight") {
      var l = document.querySelector(e.key === "ArrowLeft" ? 'link[rel="prev"]' : 'link[rel="next"]');
      if (l) { e.preventDefault(); location.href = l.href; }
    } else if (e.key === "/") {
      var s = document.getElementById("search");
      if (s) { e.preventDefault(); s.focus(); }
    }
  });

  // Copy buttons.
  document.addEventListener("click", function (e) {
    var b = e.target.closest && e.target.closest(".code .copy");
    if (!b) return;
    var pre = b.parentNode.querySelector("pre");
    var text = pre ? pre.innerText : "";
    function done(ok) {
      b.textContent = ok ? words_.copied : words_.select;
      setTimeout(function () { b.textContent = words_.copy; }, 1500);
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(fallbackCopy(text)); });
    } else {
      done(fallbackCopy(text));
    }
  });
  if (lang !== "en") document.querySelectorAll(".code .copy").forEach(function (b) { b.textContent = words_.copy; });
  function fallbackCopy(text) {
    var ta = document.createElement("textarea");
    ta.value = text; ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) {}
    document.body.removeChild(ta);
    return ok;
  }

  // Search: the index is a script (search-index.js), loaded on first use,
  // because file:// pages cannot fetch. Every word of the query must be the
  // prefix of a word of a section; when nothing matches, the query is looked
  // up as a plain substring, which also finds text without spaces between words.
  // Chinese has no spaces at all: a run of Han characters is indexed as its
  // characters and its bigrams, and a query as its bigrams, so 半关闭 finds
  // the sections that hold 半关 and 关闭 (and ranks the exact phrase first).
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  var index = null, loading = false, pending = null;
  // A hyphenated name (Sec-WebSocket-Accept, Content-Length) is one word
  // of its own, as well as its parts: a query for it finds it, not "section".
  var wordRE = /[\p{L}\p{N}_]+(?:-[\p{L}\p{N}_]+)*/gu;
  var hanRE = /\p{Script=Han}/u, hanRunRE = /\p{Script=Han}+/gu;
  function bigrams(run) {
    var out = [];
    for (var i = 0; i + 1 < run.length; i++) out.push(run.slice(i, i + 2));
    return out.length ? out : [run];
  }
  function words(text, query) {
    var out = [];
    (text.match(wordRE) || []).forEach(function (w) {
      if (hanRE.test(w)) {
        (w.match(hanRunRE) || []).forEach(function (run) {
          out.push.apply(out, bigrams(run));
          if (!query && run.length > 1) out.push.apply(out, Array.from(run));
        });
        w.split(hanRunRE).forEach(function (rest) { if (rest) out.push.apply(out, words(rest, query)); });
        return;
      }
      out.push(w);
      if (w.indexOf("-") > 0) out.push.apply(out, w.split("-"));
    });
    return out;
  }

  function loadIndex(then) {
    if (index) return then();
    pending = then;
    if (loading) return;
    loading = true;
    var s = document.createElement("script");
    s.src = "search-index.js";
    s.onload = function () {
      index = (window.NETLINGS_SEARCH || []).map(function (e) {
        var all = (e.h + " " + e.t).toLowerCase();
        return { e: e, all: all, head: words(e.h.toLowerCase()), words: words(all) };
      });
      if (pending) pending();
    };
    s.onerror = function () { loading = false; };
    document.head.appendChild(s);
  }

  function search(q) {
    q = q.trim().toLowerCase();
    if (!q) return [];
    var terms = words(q, true);
    var hits = [];
    if (terms.length) {
      index.forEach(function (x) {
        var score = 0;
        for (var i = 0; i < terms.length; i++) {
          var t = terms[i], found = false;
          for (var j = 0; j < x.head.length; j++) if (x.head[j].indexOf(t) === 0) { score += 10; found = true; break; }
          for (var k = 0; k < x.words.length; k++) {
            if (x.words[k] === t) { score += 3; found = true; } // the whole word beats a longer one it begins
            else if (x.words[k].indexOf(t) === 0) { score += 1; found = true; }
          }
          if (!found) return;
        }
        var phrase = x.all.indexOf(q) >= 0;
        hits.push({ x: x, score: score + (phrase ? 20 : 0), term: phrase ? q : terms[0] });
      });
    }
    if (!hits.length) {
      index.forEach(function (x) {
        if (x.all.indexOf(q) >= 0) hits.push({ x: x, score: 1, term: q });
      });
    }
    hits.sort(function (a, b) { return b.score - a.score; });
    return hits.slice(0, 20);
  }

  function esc(s) {
    return s.replace(/[&<>"']/g, function (c) { return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]; });
  }
  function snippet(text, term) {
    var i = text.toLowerCase().indexOf(term);
    if (i < 0) return esc(text.slice(0, 140));
    var from = Math.max(0, i - 60), to = Math.min(text.length, i + term.length + 80);
    return (from > 0 ? "…" : "") + esc(text.slice(from, i)) + "<mark>" + esc(text.slice(i, i + term.length)) + "</mark>" +
      esc(text.slice(i + term.length, to)) + (to < text.length ? "…" : "");
  }

  function show(q) {
    if (!q.trim()) { results.hidden = true; results.innerHTML = ""; return; }
    var hits = search(q);
    results.innerHTML = hits.length ? hits.map(function (h) {
      var e = h.x.e;
      var href = e.p + (e.a ? "#" + encodeURIComponent(e.a) : "");
      var where = e.a ? esc(e.c) + " › " + esc(e.h) : esc(e.c);
      return '<li><a href="' + esc(href) + '"><div class="where">' + where + '</div><div class="snippet">' + snippet(e.t, h.term) + "</div></a></li>";
    }).join("") : '<li class="none">' + esc(words_.none) + " “" + esc(q) + '”</li>';
    results.hidden = false;
  }

  if (input && results) {
    input.addEventListener("focus", function () { loadIndex(function () {}); });
    input.addEventListener("input", function () { loadIndex(function () { show(input.value); }); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { input.value = ""; show(""); input.blur(); }
      if (e.key === "Enter") { var a = results.querySelector("a"); if (a) location.href = a.href; }
    });
    document.addEventListener("click", function (e) {
      if (!e.target.closest(".search")) results.hidden = true;
    });
    var m = /[?&]q=([^&]*)/.exec(location.search);
    if (m) {
      input.value = decodeURIComponent(m[1].replace(/\+/g, " "));
      loadIndex(function () { show(input.value); });
    }
  }

  // Under `netlings serve`: live reload, live status, "Check this lesson".
  var serve = document.getElementById("netlings-serve");
  if (!serve || serve.dataset.serve !== "1") return;
  var lesson = parseInt(document.body.dataset.lesson, 10);
  var bar = document.getElementById("lesson-bar");
  var status = document.getElementById("lesson-status");
  var button = document.getElementById("check-lesson");
  var report = document.getElementById("check-report");
  if (bar) bar.hidden = false;

  function applyStatus(all) {
    document.querySelectorAll(".toc li[data-lesson]").forEach(function (li) {
      var s = all[li.dataset.lesson];
      if (s) li.dataset.status = s; else delete li.dataset.status;
    });
    if (status && lesson >= 0) {
      var s = all[String(lesson)] || "never checked";
      status.textContent = s;
      status.dataset.status = s;
    }
  }

  var events = new EventSource("/_netlings/events");
  events.addEventListener("reload", function () { location.reload(); });
  events.addEventListener("status", function (e) { applyStatus(JSON.parse(e.data)); });

  if (button) button.addEventListener("click", function () {
    button.disabled = true;
    report.hidden = false;
    report.textContent = "";
    fetch("/_netlings/check?lesson=" + lesson, { method: "POST" }).then(function (resp) {
      if (!resp.ok) {
        return resp.text().then(function (t) { report.textContent = t || resp.statusText; });
      }
      var reader = resp.body.getReader(), dec = new TextDecoder();
      function pump() {
        return reader.read().then(function (r) {
          if (r.done) return;
          report.textContent += dec.decode(r.value, { stream: true });
          report.scrollTop = report.scrollHeight;
          return pump();
        });
      }
      return pump();
    }).catch(function (err) {
      report.textContent += "\n" + err;
    }).then(function () { button.disabled = false; });
  });
})();
