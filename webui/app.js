// The chat page of `exaone serve`. It talks only to the OpenAI-compatible
// API of the origin that served it. Model text never becomes HTML: every
// node is made with createElement and filled with textContent.
"use strict";

const $ = (id) => document.getElementById(id);
const els = {
  messages: $("messages"), empty: $("empty"), input: $("input"),
  send: $("send"), stop: $("stop"), newChat: $("new-chat"), thinking: $("thinking"),
  settings: $("settings"), settingsToggle: $("settings-toggle"), system: $("system"),
  temperature: $("temperature"), topP: $("top-p"), maxTokens: $("max-tokens"),
  modelName: $("model-name"), keyDialog: $("key-dialog"), keyForm: $("key-form"),
  keyInput: $("key-input"), keyError: $("key-error"),
};

const KEY_STORE = "exaone.apiKey";
const SETTINGS_STORE = "exaone.settings";

let history = [];      // the conversation as the API takes it: {role, content}
let controller = null; // aborts the reply being streamed; null when idle
let modelID = "";

// ---- API key: asked once, kept in localStorage --------------------------

let keyPrompt = null; // one dialog for all the requests that got a 401

function askKey(refused) {
  if (keyPrompt) return keyPrompt;
  keyPrompt = new Promise((resolve, reject) => {
    els.keyError.hidden = !refused;
    els.keyError.textContent = refused ? "The server refused that key." : "";
    els.keyInput.value = "";
    els.keyForm.onsubmit = (e) => {
      e.preventDefault();
      const key = els.keyInput.value.trim();
      if (!key) return;
      localStorage.setItem(KEY_STORE, key);
      keyPrompt = null;
      els.keyDialog.close();
      resolve();
    };
    // Escape closes a modal dialog: fail the request instead of hanging it.
    // (A submit's close event can come after the next prompt opened.)
    els.keyDialog.onclose = () => {
      if (keyPrompt && !els.keyDialog.open) {
        keyPrompt = null;
        reject(new Error("This server needs an API key."));
      }
    };
    els.keyDialog.showModal();
    els.keyInput.focus();
  });
  return keyPrompt;
}

// api fetches a path of this origin with the stored key, and on a 401 asks
// for a key and tries again.
async function api(path, init = {}) {
  for (;;) {
    const headers = Object.assign({}, init.headers);
    const key = localStorage.getItem(KEY_STORE);
    if (key) headers["Authorization"] = "Bearer " + key;
    const res = await fetch(path, Object.assign({}, init, { headers }));
    if (res.status !== 401) return res;
    await res.body?.cancel();
    localStorage.removeItem(KEY_STORE);
    await askKey(key !== null);
  }
}

// errorMessage reads the API's {"error": {"message": ...}} body, or
// whatever the body is when it is not that.
async function errorMessage(res) {
  const text = await res.text();
  try {
    const msg = JSON.parse(text).error?.message;
    if (msg) return msg;
  } catch {}
  return `HTTP ${res.status}` + (text.trim() ? ": " + text.trim().slice(0, 300) : "");
}

async function loadModel() {
  try {
    const res = await api("/v1/models");
    if (!res.ok) throw new Error(await errorMessage(res));
    modelID = (await res.json()).data?.[0]?.id || "";
    els.modelName.textContent = modelID || "(no model)";
  } catch (e) {
    els.modelName.textContent = "(model unknown)";
    els.modelName.title = e.message;
  }
}

// ---- Rendering: a small, safe subset of markdown ------------------------

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

// render replaces the children of parent with text cut into paragraphs
// (blank lines), ``` fenced code blocks and `code` spans. A fence still
// open (the reply is streaming) runs to the end of the text.
function render(parent, text) {
  const out = [];
  const lines = text.split("\n");
  let para = [];
  const flush = () => {
    if (para.length) out.push(paragraph(para.join("\n")));
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    if (/^ {0,3}```/.test(lines[i])) {
      flush();
      const code = [];
      for (i++; i < lines.length && !/^ {0,3}```\s*$/.test(lines[i]); i++) code.push(lines[i]);
      const pre = el("pre");
      pre.append(el("code", "", code.join("\n")));
      out.push(pre);
    } else if (lines[i].trim() === "") {
      flush();
    } else {
      para.push(lines[i]);
    }
  }
  flush();
  parent.replaceChildren(...out);
}

function paragraph(text) {
  const p = el("p");
  const parts = text.split("`"); // odd pieces are code spans
  if (parts.length % 2 === 0) {
    // An unmatched backtick stays as text.
    const last = parts.pop();
    parts[parts.length - 1] += "`" + last;
  }
  parts.forEach((part, i) => {
    if (i % 2 === 1) p.append(el("code", "", part));
    else if (part) p.append(document.createTextNode(part));
  });
  return p;
}

function addMessage(role) {
  els.empty?.remove();
  const div = el("div", "msg " + role);
  els.messages.append(div);
  return div;
}

// keepScroll runs f and keeps the view at the bottom if it was there, so a
// reader who scrolled up is not pulled down by each chunk.
function keepScroll(f) {
  const m = els.messages;
  const atBottom = m.scrollHeight - m.scrollTop - m.clientHeight < 40;
  f();
  if (atBottom) m.scrollTop = m.scrollHeight;
}

// A Reply is one assistant message: its text so far and its DOM.
class Reply {
  constructor() {
    this.div = addMessage("assistant");
    this.answer = el("div", "answer");
    this.div.append(this.answer);
    this.content = "";
    this.reasoning = "";
    this.shown = { content: null, reasoning: null };
    this.start = performance.now();
    this.firstToken = 0;
    this.answerStart = 0;
    this.finishReason = "";
    this.usage = null;
    this.timings = null;
  }

  // add takes one chunk of the stream.
  add(chunk) {
    const choice = chunk.choices?.[0];
    if (choice) {
      const d = choice.delta || {};
      const now = performance.now();
      if (d.reasoning_content) this.reasoning += d.reasoning_content;
      if (d.content) {
        this.content += d.content;
        if (!this.answerStart) this.answerStart = now;
      }
      if ((d.content || d.reasoning_content) && !this.firstToken) this.firstToken = now;
      if (choice.finish_reason) this.finishReason = choice.finish_reason;
    }
    if (chunk.usage) this.usage = chunk.usage;
    if (chunk.timings) this.timings = chunk.timings;
  }

  // update shows what add took since the last update.
  update() {
    keepScroll(() => {
      if (this.reasoning && !this.details) {
        // Folded by default and apart from the answer.
        this.details = el("details", "reasoning");
        this.summary = el("summary", "", "Thinking…");
        this.thoughts = el("div", "thoughts");
        this.details.append(this.summary, this.thoughts);
        this.div.insertBefore(this.details, this.answer);
      }
      if (this.details && this.shown.reasoning !== this.reasoning) {
        render(this.thoughts, this.reasoning);
        this.shown.reasoning = this.reasoning;
      }
      if (this.details && this.answerStart) {
        const s = (this.answerStart - this.firstToken) / 1000;
        this.summary.textContent = `Thought for ${s.toFixed(1)} s`;
      }
      if (this.shown.content !== this.content) {
        render(this.answer, this.content);
        this.shown.content = this.content;
      }
    });
  }

  // finish writes the line under the reply: token counts, speed, and why it
  // ended when that is not the model's own end.
  finish(note) {
    this.update();
    if (this.details && !this.answerStart) this.summary.textContent = "Thoughts";
    if (this.failed) return; // the error says it all
    const parts = [];
    const u = this.usage, t = this.timings;
    if (u) {
      const cached = u.prompt_tokens_details?.cached_tokens;
      parts.push(`${u.prompt_tokens} prompt tokens` + (cached ? ` (${cached} cached)` : ""));
      parts.push(`${u.completion_tokens} tokens`);
    }
    if (t?.predicted_per_second) {
      parts.push(`${t.predicted_per_second.toFixed(1)} tok/s`);
    } else if (u?.completion_tokens && this.firstToken) {
      // Without the server's timings: measured here, network included.
      const s = (performance.now() - this.firstToken) / 1000;
      if (s > 0) parts.push(`${(u.completion_tokens / s).toFixed(1)} tok/s`);
    }
    if (t?.prompt_n && t?.prompt_ms) parts.push(`prompt ${(t.prompt_n / t.prompt_ms * 1000).toFixed(0)} tok/s`);
    if (!parts.length) {
      // A server that sends neither usage nor timings: the time at least.
      parts.push(`${((performance.now() - this.start) / 1000).toFixed(1)} s`);
    }
    if (this.finishReason === "length") parts.push("cut at max tokens");
    if (note) parts.push(note);
    if (parts.length) this.div.append(el("div", "stats", parts.join(" · ")));
  }

  fail(message) {
    this.failed = true;
    this.div.classList.add("error");
    this.div.append(el("div", "error-text", message));
  }
}

// ---- Streaming ----------------------------------------------------------

// readStream feeds reply the server-sent events of a streamed completion:
// "data: {json}" lines, each event ended by a blank line, "data: [DONE]" at
// the end. It returns whether [DONE] came.
async function readStream(res, reply) {
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let data = [];
  // event handles one event's data; true at [DONE].
  const event = (text) => {
    if (text === "[DONE]") return true;
    const chunk = JSON.parse(text);
    if (chunk.error) throw new Error(chunk.error.message || JSON.stringify(chunk.error));
    reply.add(chunk);
    return false;
  };
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += value;
      let nl;
      while ((nl = buf.indexOf("\n")) >= 0) {
        let line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.endsWith("\r")) line = line.slice(0, -1);
        if (line === "") {
          if (data.length && event(data.join("\n"))) return true;
          data = [];
        } else if (line.startsWith("data:")) {
          data.push(line.slice(5).replace(/^ /, ""));
        } // comments (":") and other fields carry nothing here
      }
      reply.update(); // once per read, not once per event
    }
    return data.length > 0 && event(data.join("\n"));
  } finally {
    reader.cancel().catch(() => {});
  }
}

function number(input) {
  return input.value === "" ? undefined : Number(input.value);
}

async function send() {
  const text = els.input.value;
  if (controller || text.trim() === "") return;
  els.input.value = "";
  render(addMessage("user"), text);
  // New chat replaces history; this turn finishes in the conversation it
  // began in.
  const conv = history;
  conv.push({ role: "user", content: text });

  const messages = [];
  if (els.system.value.trim()) messages.push({ role: "system", content: els.system.value });
  messages.push(...conv);
  const body = {
    messages,
    stream: true,
    stream_options: { include_usage: true },
    temperature: number(els.temperature),
    top_p: number(els.topP),
    max_tokens: number(els.maxTokens),
    chat_template_kwargs: { enable_thinking: els.thinking.checked },
  };
  if (modelID) body.model = modelID;

  const reply = new Reply();
  const ctl = (controller = new AbortController());
  setBusy(true);
  let note = "";
  try {
    const res = await api("/v1/chat/completions", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      signal: ctl.signal,
    });
    if (!res.ok) throw new Error(await errorMessage(res));
    const done = await readStream(res, reply);
    if (!done && !reply.finishReason) note = "the connection ended before the reply did";
    conv.push({ role: "assistant", content: reply.content });
  } catch (e) {
    if (e.name === "AbortError") {
      // Stopped: what came so far stays in the conversation.
      note = "stopped";
      conv.push({ role: "assistant", content: reply.content });
    } else {
      // The turn failed: take it out of the conversation and give the text
      // back to retry.
      conv.pop();
      reply.fail(e.message);
      if (!els.input.value) els.input.value = text;
    }
  } finally {
    if (controller === ctl) { // not already let go by New chat
      controller = null;
      setBusy(false);
    }
    reply.finish(note);
  }
}

function setBusy(busy) {
  els.send.hidden = busy;
  els.stop.hidden = !busy;
}

function newChat() {
  // The aborted turn ends in the old history; the box is free at once.
  controller?.abort();
  controller = null;
  setBusy(false);
  history = [];
  els.messages.replaceChildren(els.empty);
  els.input.focus();
}

// ---- Settings, kept in localStorage -------------------------------------

const settingInputs = { system: els.system, temperature: els.temperature, top_p: els.topP, max_tokens: els.maxTokens };

function loadSettings() {
  let s = {};
  try {
    s = JSON.parse(localStorage.getItem(SETTINGS_STORE) || "{}");
  } catch {}
  for (const [k, input] of Object.entries(settingInputs)) {
    if (typeof s[k] === "string") input.value = s[k];
  }
  els.thinking.checked = s.thinking === true;
}

function saveSettings() {
  const s = { thinking: els.thinking.checked };
  for (const [k, input] of Object.entries(settingInputs)) s[k] = input.value;
  localStorage.setItem(SETTINGS_STORE, JSON.stringify(s));
}

// ---- Wiring -------------------------------------------------------------

els.input.addEventListener("keydown", (e) => {
  // isComposing: the Enter that ends a Korean or Japanese IME composition
  // only commits the syllable.
  if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
    e.preventDefault();
    send();
  }
});
els.send.addEventListener("click", send);
els.stop.addEventListener("click", () => controller?.abort());
els.newChat.addEventListener("click", newChat);
els.settingsToggle.addEventListener("click", () => {
  els.settings.hidden = !els.settings.hidden;
  els.settingsToggle.setAttribute("aria-expanded", String(!els.settings.hidden));
});
for (const input of [...Object.values(settingInputs), els.thinking]) {
  input.addEventListener("change", saveSettings);
}

loadSettings();
loadModel();
