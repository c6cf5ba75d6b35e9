/* Web chat client: shows the bot's replies and quick-reply buttons, sends what the resident
 * types, taps or uploads. No dialogue logic here: the server decides everything.
 * Plain ES2015 (no build step) so that older phone browsers run it.
 * The transcript is kept in sessionStorage only, so it survives a reload but not closing the
 * tab (phones are often shared). Every message carries a random id: a resend after a network
 * failure reuses it and the server answers it once. */
(function () {
  "use strict";

  var T = JSON.parse(document.getElementById("texts").textContent || "{}");
  var LANG = (document.documentElement.lang || "zh").indexOf("en") === 0 ? "en" : "zh";
  var POLL_MS = 1000 * (parseInt(document.body.getAttribute("data-poll-seconds"), 10) || 20);
  var STORE_KEY = "jiefen.webchat.transcript";
  var MAX_KEPT = 200;

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("text");
  var sendButton = document.getElementById("send");
  var fileInput = document.getElementById("file");
  var busy = false;
  var transcript = load();

  function t(key, params) {
    var text = T[key] || key;
    Object.keys(params || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(String(params[name]));
    });
    return text;
  }

  function newId() {
    var bytes = new Uint8Array(12);
    (window.crypto || window.msCrypto).getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function load() {
    try {
      return JSON.parse(sessionStorage.getItem(STORE_KEY)) || [];
    } catch (e) {
      return [];
    }
  }

  function save() {
    try {
      sessionStorage.setItem(STORE_KEY, JSON.stringify(transcript.slice(-MAX_KEPT)));
    } catch (e) { /* private mode or full: the chat still works, it just won't survive a reload */ }
  }

  function api(path) {
    return path + "?lang=" + LANG;
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  /* --- rendering ----------------------------------------------------------------------- */

  function bubble(kind, text) {
    var p = document.createElement("p");
    p.className = "msg " + kind;
    p.textContent = text; /* never innerHTML: replies may quote what residents typed */
    log.appendChild(p);
    return p;
  }

  function renderEntry(entry, live) {
    var node = bubble(entry.k, entry.t);
    if (entry.o && entry.o.length) {
      var row = document.createElement("div");
      row.className = "options";
      entry.o.forEach(function (option) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = option.label;
        b.disabled = !live || !!entry.used;
        b.addEventListener("click", function () { tap(entry, option, row); });
        row.appendChild(b);
      });
      if (entry.used) row.className += " used";
      log.appendChild(row);
    }
    return node;
  }

  function renderAll() {
    var lastBot = -1;
    transcript.forEach(function (e, i) { if (e.k === "bot") lastBot = i; });
    transcript.forEach(function (e, i) { renderEntry(e, i === lastBot); });
    scrollDown();
  }

  function retireOptions() {
    /* Only the newest buttons are live: older ones would answer a question no longer asked. */
    Array.prototype.forEach.call(log.querySelectorAll(".options button"), function (b) {
      b.disabled = true;
    });
  }

  function addReplies(replies) {
    if (!replies || !replies.length) return;
    retireOptions();
    replies.forEach(function (r) {
      var entry = { k: "bot", t: r.text, o: r.options || [] };
      transcript.push(entry);
      renderEntry(entry, true);
    });
    save();
    scrollDown();
  }

  function note(text, retry) {
    var p = bubble("note", text);
    if (retry) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "retry";
      b.textContent = t("webchat.button.retry");
      b.addEventListener("click", function () {
        if (busy) return;
        p.parentNode.removeChild(p);
        retry();
      });
      p.appendChild(document.createElement("br"));
      p.appendChild(b);
    }
    scrollDown();
  }

  /* --- talking to the server ----------------------------------------------------------- */

  function setBusy(value) {
    busy = value;
    sendButton.disabled = value;
    document.body.setAttribute("aria-busy", value ? "true" : "false");
  }

  function post(request, echo) {
    /* request(): a fetch promise; echo: the resident's own bubble, or null */
    setBusy(true);
    if (echo) echo.classList.add("pending");
    return request().then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        setBusy(false);
        if (echo) echo.classList.remove("pending");
        if (response.ok) {
          addReplies(body.replies);
        } else {
          note(body.error || t("webchat.error.bad_request"));
        }
      });
    }, function () {
      setBusy(false);
      note(t("webchat.error.network"), function () { post(request, echo); });
    });
  }

  function sendJson(body, echoText) {
    var echo = null;
    if (echoText) {
      transcript.push({ k: "me", t: echoText });
      save();
      echo = bubble("me", echoText);
      scrollDown();
    }
    body.id = newId();
    var json = JSON.stringify(body);
    return post(function () {
      return fetch(api("/api/message"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: json
      });
    }, echo);
  }

  function tap(entry, option, row) {
    if (busy || entry.used) return;
    entry.used = true; /* the row goes away: the resident's bubble shows what was tapped */
    row.className += " used";
    retireOptions();
    sendJson({ payload: option.payload }, option.label);
  }

  function sendText() {
    var text = input.value.replace(/^\s+|\s+$/g, "");
    if (!text || busy) return;
    input.value = "";
    autoGrow();
    retireOptions();
    sendJson({ text: text }, text);
  }

  function upload(file) {
    if (busy) return;
    var label = t("webchat.status.sent_file", { name: file.name || "" });
    transcript.push({ k: "me", t: label });
    save();
    var echo = bubble("me", label);
    scrollDown();
    var data = new FormData();
    data.append("id", newId());
    data.append("file", file, file.name || "file");
    post(function () {
      return fetch(api("/api/upload"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-Jiefen": "1" },
        body: data
      });
    }, echo);
  }

  function poll() {
    if (document.hidden) return;
    fetch(api("/api/updates"), { credentials: "same-origin" }).then(function (r) {
      return r.ok ? r.json() : { replies: [] };
    }).then(function (body) { addReplies(body.replies); }, function () { /* try next time */ });
  }

  /* --- wiring ---------------------------------------------------------------------------- */

  function autoGrow() {
    input.style.height = "auto";
    input.style.height = Math.min(input.scrollHeight + 4, 160) + "px";
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    sendText();
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault(); /* Enter sends; Shift+Enter is a new line; IME composing is left alone */
      sendText();
    }
  });
  input.addEventListener("input", autoGrow);
  fileInput.addEventListener("change", function () {
    if (fileInput.files && fileInput.files[0]) upload(fileInput.files[0]);
    fileInput.value = "";
  });
  document.addEventListener("visibilitychange", poll);
  setInterval(poll, POLL_MS);

  renderAll();
  if (!transcript.length) {
    sendJson({ text: "/start" }, null); /* the greeting and menu, without echoing "/start" */
  } else {
    poll();
  }
})();
