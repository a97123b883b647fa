// The page of `entente serve`: translate an article side by side, align two texts, score
// hypotheses. It talks to the server only through the public API (/v1/...), so it is also a
// worked example of it. No framework, no external assets: the server may run offline.
(function () {
  "use strict";
  var $ = function (id) { return document.getElementById(id); };
  // What the last translation gave, for copy, downloads and tests.
  var state = { english: "", segments: [], pairs: [], settings: {}, page: null, busy: false, document: null };
  window.entente = state;

  // ---- talking to the API -------------------------------------------------------------
  function ApiFailure(status, message, retryAfter) {
    this.status = status; this.message = message; this.retryAfter = retryAfter;
  }

  async function failure(response) {
    var text = await response.text();
    var message = text;
    try { message = JSON.parse(text).error || text; } catch (e) { /* not JSON */ }
    var retry = response.headers.get("Retry-After");
    return new ApiFailure(response.status, message, retry ? parseInt(retry, 10) : null);
  }

  async function post(path, body, signal) {
    var response = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: signal
    });
    if (!response.ok) throw await failure(response);
    return response;
  }

  // An error in words a person can act on.
  function describe(error) {
    if (error && error.name === "AbortError") return "Cancelled.";
    if (!(error instanceof ApiFailure)) {
      return "The server does not answer: is entente serve still running at " + location.origin +
        "? (" + (error && error.message ? error.message : error) + ")";
    }
    var said = error.message ? " The server said: " + error.message : "";
    var wait = error.retryAfter ? " Try again in " + error.retryAfter + " s." : " Try again shortly.";
    switch (error.status) {
      case 413: return "This text is too large for the server to take at once: send it in parts, " +
        "or start the server with a higher --body-limit or --char-limit." + said;
      case 503: return "The server is busy or the request took too long." + wait + said;
      case 429: return "Too many requests from here for now." + wait + said;
      case 422: return "Nothing to translate was found." + said;
      case 403: return "The server refused this." + said;
      default:
        if (error.status >= 500) return "The server failed on this request (" + error.status + ")." + said;
        return "The request was not accepted (" + error.status + ")." + said;
    }
  }

  function show(id, message) {
    var box = $(id);
    box.textContent = message || "";
    box.hidden = !message;
  }

  function download(name, type, text) {
    var url = URL.createObjectURL(new Blob([text], { type: type }));
    var a = document.createElement("a");
    a.href = url; a.download = name;
    document.body.appendChild(a); a.click(); a.remove();
    setTimeout(function () { URL.revokeObjectURL(url); }, 1000);
  }

  async function exportPairs(pairs, format, name, errorBox) {
    try {
      var response = await post("/v1/export", { pairs: pairs, format: format });
      download(name, response.headers.get("Content-Type") || "text/plain", await response.text());
    } catch (e) { show(errorBox, describe(e)); }
  }

  // Lines of JSON as they arrive.
  async function eachLine(response, handle) {
    var reader = response.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      var at;
      while ((at = buffer.indexOf("\n")) >= 0) {
        var line = buffer.slice(0, at); buffer = buffer.slice(at + 1);
        if (line.trim()) handle(JSON.parse(line));
      }
    }
    if (buffer.trim()) handle(JSON.parse(buffer));
  }

  // ---- files: picked or dropped -------------------------------------------------------
  async function readFile(file) {
    var bytes = await file.arrayBuffer();
    try { return new TextDecoder("utf-8", { fatal: true }).decode(bytes); }
    catch (e) { return new TextDecoder("windows-1252").decode(bytes); }
  }

  function isPage(file, text) {
    return /\.x?html?$/i.test(file.name) || /^\s*<(!doctype|html|head|body)/i.test(text);
  }

  // A document (office file, book, or an HTML file given to the document control) goes to
  // /translate_file and comes back as a file to download, its formatting kept.
  var DOCUMENT = /\.(docx|odt|odp|pptx|epub)$/i;
  async function translateDocument(file) {
    var link = $("doc-download");
    link.hidden = true;
    show("translate-error", "");
    $("doc-status").textContent = "Translating " + file.name + "…";
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("source", "fr");
    form.append("target", "en");
    try {
      var response = await fetch("/translate_file", { method: "POST", body: form });
      if (!response.ok) throw await failure(response);
      var answer = await response.json();
      var english = file.name.replace(/(\.[^.]+)$/, ".en$1");
      link.href = answer.translatedFileUrl;
      link.download = english;
      link.textContent = "Download " + english;
      link.hidden = false;
      $("doc-status").textContent = file.name + " translated.";
      state.document = { name: english, url: answer.translatedFileUrl };
    } catch (e) {
      $("doc-status").textContent = "";
      show("translate-error", describe(e));
    }
  }

  async function takeFile(file, target) {
    if (target === "doc" || (target === "fr-text" && DOCUMENT.test(file.name))) {
      return translateDocument(file);
    }
    var text = await readFile(file);
    if (target === "fr-text" && isPage(file, text)) {
      state.page = { name: file.name, html: text };
      $("fr-text").value = "";
      $("fr-file-name").textContent = file.name + " loaded: its article is extracted when you translate.";
      return;
    }
    if (target === "fr-text") { state.page = null; $("fr-file-name").textContent = file.name; }
    $(target).value = text;
  }

  document.querySelectorAll(".drop").forEach(function (zone) {
    zone.addEventListener("dragover", function (e) { e.preventDefault(); zone.classList.add("over"); });
    zone.addEventListener("dragleave", function () { zone.classList.remove("over"); });
    zone.addEventListener("drop", function (e) {
      e.preventDefault(); zone.classList.remove("over");
      if (e.dataTransfer.files.length) takeFile(e.dataTransfer.files[0], zone.dataset.target);
    });
  });
  [["doc-file", "doc"], ["fr-file", "fr-text"], ["al-fr-file", "al-fr"], ["al-en-file", "al-en"],
   ["sc-hyp-file", "sc-hyp"], ["sc-ref-file", "sc-ref"]].forEach(function (pair) {
    $(pair[0]).addEventListener("change", function (e) {
      if (e.target.files.length) takeFile(e.target.files[0], pair[1]);
    });
  });
  $("fr-text").addEventListener("input", function () {
    if (state.page) { state.page = null; $("fr-file-name").textContent = ""; }
  });

  // ---- tabs ---------------------------------------------------------------------------
  var tabs = Array.prototype.slice.call(document.querySelectorAll("[role=tab]"));
  function select(tab) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      $(t.getAttribute("aria-controls")).hidden = !on;
    });
    tab.focus();
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function () { select(tab); });
    tab.addEventListener("keydown", function (e) {
      var step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
      if (step) select(tabs[(i + step + tabs.length) % tabs.length]);
      if (e.key === "Home") select(tabs[0]);
      if (e.key === "End") select(tabs[tabs.length - 1]);
    });
  });

  // ---- the server's defaults ----------------------------------------------------------
  fetch("/v1/settings").then(function (r) { return r.json(); }).then(function (s) {
    state.settings = s;
    $("model").textContent = "Model: " + s.model + " (" + s.precision + ")";
    $("opt-beams").placeholder = s.beams; $("opt-beams").value = s.beams;
    $("opt-max").placeholder = s.max_new_tokens; $("opt-max").value = s.max_new_tokens;
    if (!s.fetch_urls) {
      $("url-note").textContent = "This server does not fetch URLs (start it with --fetch-urls); open a saved page instead.";
    }
  }).catch(function () { /* the page still works with the server's defaults */ });

  // ---- translate ----------------------------------------------------------------------
  var controller = null;

  function progress(done, total) {
    $("progress-box").hidden = false;
    $("progress").max = Math.max(total, 1);
    $("progress").value = done;
    $("progress-text").textContent = total ? done + " / " + total + " sentences" : "Reading the article…";
  }

  function translationRequest() {
    var body = { stream: true, side_by_side: true };
    var beams = parseInt($("opt-beams").value, 10);
    var max = parseInt($("opt-max").value, 10);
    if (beams && beams !== state.settings.beams) body.beams = beams;
    if (max && max !== state.settings.max_new_tokens) body.max_new_tokens = max;
    var url = $("fr-url").value.trim();
    if (url) { body.mode = "page"; body.url = url; return body; }
    if (state.page) { body.mode = "page"; body.text = state.page.html; return body; }
    var text = $("fr-text").value;
    if (!text.trim()) return null;
    body.mode = "article"; body.text = text;
    return body;
  }

  async function translate() {
    if (state.busy) return; // one translation at a time: a second press does nothing
    var body = translationRequest();
    if (!body) { show("translate-error", "Paste a French text, open a file or give a page's URL first."); return; }
    state.busy = true;
    show("translate-error", "");
    $("translate").disabled = true;
    $("cancel").hidden = false;
    $("english").setAttribute("aria-busy", "true");
    progress(0, 0);
    controller = new AbortController();
    try {
      var response = await post("/v1/translate", body, controller.signal);
      var answer = null;
      await eachLine(response, function (message) {
        if (message.progress) progress(message.progress.done, message.progress.total);
        else if (message.error) throw new ApiFailure(message.status, message.error, message.retry_after);
        else answer = message;
      });
      if (!answer) throw new ApiFailure(500, "the answer ended early", null);
      var t = answer.translations[0];
      state.english = t.text;
      state.segments = t.segments;
      state.pairs = t.segments.map(function (s) { return { src: s.src, tgt: s.text, score: s.logprob }; });
      $("side-by-side").innerHTML = t.side_by_side; // built and escaped by the server
      $("english").hidden = false;
      progress(t.segments.length, t.segments.length);
    } catch (e) {
      show("translate-error", describe(e));
      $("progress-box").hidden = true;
    } finally {
      state.busy = false;
      controller = null;
      $("translate").disabled = false;
      $("cancel").hidden = true;
      $("english").removeAttribute("aria-busy");
    }
  }

  $("translate").addEventListener("click", translate);
  $("cancel").addEventListener("click", function () { if (controller) controller.abort(); });
  $("fr-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) translate();
  });

  $("copy").addEventListener("click", async function () {
    var note = $("copy-note");
    try {
      await navigator.clipboard.writeText(state.english);
      note.textContent = "Copied.";
    } catch (e) {
      // Without a secure context (plain http to another host) the clipboard API is missing.
      var area = document.createElement("textarea");
      area.value = state.english; document.body.appendChild(area); area.select();
      note.textContent = document.execCommand("copy") ? "Copied." : "Select the English and copy it by hand.";
      area.remove();
    }
  });
  $("download-text").addEventListener("click", function () {
    download("translation.en.txt", "text/plain;charset=utf-8", state.english);
  });
  $("download-pairs").addEventListener("click", function () {
    exportPairs(state.pairs, "jsonl", "pairs.jsonl", "translate-error");
  });
  $("download-tmx").addEventListener("click", function () {
    exportPairs(state.pairs, "tmx", "pairs.tmx", "translate-error");
  });

  // ---- align --------------------------------------------------------------------------
  var aligned = [];
  $("align").addEventListener("click", async function () {
    var fr = $("al-fr").value, en = $("al-en").value;
    if (!fr.trim() || !en.trim()) { show("align-error", "Give both sides: the French and the English text."); return; }
    var button = this;
    button.disabled = true;
    show("align-error", "");
    $("align-status").textContent = "Aligning…";
    try {
      var response = await post("/v1/align", { source: fr, target: en, mt: $("al-mt").checked });
      aligned = (await response.json()).pairs;
      var rows = $("align-rows");
      rows.textContent = "";
      aligned.forEach(function (p, i) {
        var tr = document.createElement("tr");
        [String(i + 1), p.src, p.tgt, p.score.toFixed(3), (p.flags || []).join(", ")].forEach(function (cell, c) {
          var td = document.createElement("td");
          td.textContent = cell;
          if (c === 1) td.lang = "fr";
          if (c === 2) td.lang = "en";
          tr.appendChild(td);
        });
        rows.appendChild(tr);
      });
      $("align-result").hidden = false;
      $("align-status").textContent = aligned.length + " pairs";
    } catch (e) {
      show("align-error", describe(e));
      $("align-status").textContent = "";
    } finally { button.disabled = false; }
  });
  $("align-tmx").addEventListener("click", function () { exportPairs(aligned, "tmx", "aligned.tmx", "align-error"); });
  $("align-tsv").addEventListener("click", function () { exportPairs(aligned, "tsv", "aligned.tsv", "align-error"); });

  // ---- score --------------------------------------------------------------------------
  function lines(text) {
    var all = text.split(/\r?\n/);
    if (all.length && all[all.length - 1] === "") all.pop(); // a file's final newline
    return all;
  }
  $("score").addEventListener("click", async function () {
    var hyps = lines($("sc-hyp").value), refs = lines($("sc-ref").value);
    var metrics = Array.prototype.slice.call(document.querySelectorAll("input[name=metric]:checked"))
      .map(function (box) { return box.value; });
    if (!hyps.length || !refs.length) { show("score-error", "Give the hypotheses and the references, one segment per line."); return; }
    if (!metrics.length) { show("score-error", "Choose at least one metric."); return; }
    var button = this;
    button.disabled = true;
    show("score-error", "");
    $("score-status").textContent = "Scoring…";
    try {
      var response = await post("/v1/bleu", { hypotheses: hyps, references: refs, metrics: metrics });
      $("score-output").textContent = (await response.json()).output;
      $("score-output").hidden = false;
      $("score-status").textContent = "";
    } catch (e) {
      show("score-error", describe(e));
      $("score-status").textContent = "";
    } finally { button.disabled = false; }
  });
})();
