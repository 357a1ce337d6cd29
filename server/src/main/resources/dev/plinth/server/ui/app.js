// Shared by the pages: API calls (with the API key kept in this browser, when the server asks for one) and the header.
"use strict";

const plinth = {
  key() {
    return localStorage.getItem("plinth.apiKey") || "";
  },

  headers(extra) {
    const h = Object.assign({}, extra || {});
    if (plinth.key()) {
      h["Authorization"] = "Bearer " + plinth.key();
    }
    return h;
  },

  async json(path, options) {
    const r = await fetch(path, Object.assign({}, options, { headers: plinth.headers((options || {}).headers) }));
    const body = await r.json();
    if (!r.ok) {
      throw new Error(body.error ? body.error.message : r.status + " " + r.statusText);
    }
    return body;
  },

  async text(path) {
    const r = await fetch(path, { headers: plinth.headers() });
    if (!r.ok) {
      throw new Error(r.status + " " + r.statusText);
    }
    return r.text();
  },

  /** Elements from plain data: el("td", {class: "x"}, "text", child...). */
  el(tag, attributes, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) {
      e.setAttribute(k, v);
    }
    for (const c of children) {
      e.append(c instanceof Node ? c : document.createTextNode(c == null ? "" : String(c)));
    }
    return e;
  },

  header(here) {
    const nav = plinth.el("nav", {},
      plinth.el("a", { href: "/", class: here === "products" ? "here" : "" }, "Products"),
      plinth.el("a", { href: "/chat.html", class: here === "chat" ? "here" : "" }, "Playground"),
      plinth.el("a", { href: "/runs.html", class: here === "runs" ? "here" : "" }, "Training runs"));
    const key = plinth.el("input", { type: "password", placeholder: "API key (if the server needs one)", id: "api-key" });
    key.value = plinth.key();
    key.addEventListener("change", () => {
      localStorage.setItem("plinth.apiKey", key.value);
      location.reload();
    });
    const header = plinth.el("header", {}, plinth.el("h1", {}, "Plinth"), nav, plinth.el("span", { class: "key" }, key));
    document.body.prepend(header);
  },

  /** Runs a page's loading: the body is marked loaded when it succeeds (the UI tests wait for that), else it says what failed. */
  async load(where, work) {
    try {
      await work();
      document.body.dataset.loaded = "true";
    } catch (e) {
      plinth.failed(where, e);
    }
  },

  failed(where, error) {
    where.replaceChildren(plinth.el("p", { class: "muted" }, "Could not load: " + error.message));
  },
};
