// Save session and Open session (beside the colour controls): the view, with what Python holds of it (labels, values
// pushed from Python, the comparison shown), downloaded as a `.cellucid-session` file; and a file
// chosen on disk sent to Python, which checks it, restores its part and sends the page a
// `restoreSession` command — the same round trip as `viewer.save_session` / `load_session`.

import { authQuery } from "../auth.js";
import { fetcher, replyMessage } from "../http.js";
import { downloadBlob, element } from "./dom.js";

export const defaults = {
  savePath: "_cellucid/session/save",
  openPath: "_cellucid/session/open",
  suffix: ".cellucid-session",
  filename: "cellucid",
  maxNameChars: 80,
  // How long Python may take to answer (over the notebook comm, whose requests are otherwise cut
  // at 20 s): opening a session reruns its comparison and gene plots, which take minutes on
  // millions of cells.
  answerTimeoutMs: 15 * 60 * 1000,
};

/** The file name a session is saved under: the viewer's title made safe, else "cellucid". */
export function sessionFilename(title) {
  const safe = String(title || "").replace(/[^\w.\- ]+/g, "_").trim().slice(0, defaults.maxNameChars);
  return `${safe || defaults.filename}${defaults.suffix}`;
}

/** What the page says once a session is open: restored, or restored without what it names. */
export function openedMessage(report) {
  if (!report) return "Session opened";
  const lost = (report.dropped_cells || []).length;
  const parts = [];
  if (lost) parts.push(`${lost.toLocaleString("en-US")} of its cells are not in this data`);
  for (const d of report.dropped || []) parts.push(`without ${d}`);
  return parts.length ? `Session opened; ${parts.join("; ")}` : "Session opened";
}

/** A button labelled `label` with test id `testid` and tooltip `title`, running `run`. */
function actionButton(label, testid, title, run) {
  const b = element("button", "", label);
  b.type = "button";
  b.dataset.testid = testid;
  b.title = title;
  b.addEventListener("click", run);
  return b;
}

/**
 * The two actions, as buttons in `env.el` when given. `env`: auth, fetch (optional), capture() →
 * the page's view (a promise), title() → the viewer's title or null, toast(text), confirm(text)
 * → boolean, download(blob, filename) (optional: `downloadBlob`). Returns {save(),
 * open() (the file picker), openFile(file, strict = true) → whether it opened, input}.
 * A refusal is shown (and kept in `data-cellucid-session-error`); the view stays as it was.
 */
export function createSessionActions(env) {
  const fetch = fetcher(env.fetch);
  const download = env.download || downloadBlob;
  const input = element("input");
  Object.assign(input, { type: "file", accept: `${defaults.suffix},.json,application/json`, hidden: true });
  input.dataset.testid = "cellucid-session-file";
  document.body.appendChild(input);
  const post = (path, body, query = "") => fetch(`${path}?${authQuery(env.auth)}${query}`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body, timeoutMs: defaults.answerTimeoutMs,
  });
  const refused = (what, message) => {
    document.body.dataset.cellucidSessionError = message;
    env.toast(`Cannot ${what} the session: ${message}`);
  };

  const save = async () => {
    try {
      const res = await post(defaults.savePath, JSON.stringify(await env.capture()));
      if (!res.ok) throw new Error(await replyMessage(res, `HTTP ${res.status}`));
      download(new Blob([await res.arrayBuffer()], { type: "application/json" }), sessionFilename(env.title()));
      env.toast("Session saved");
    } catch (err) {
      refused("save", err.message);
    }
  };

  const openFile = async (file, strict = true) => {
    let res, body = {};
    try {
      res = await post(defaults.openPath, file, `&strict=${strict ? 1 : 0}`);
      body = await res.json();
    } catch (err) {
      if (!res) { refused("open", err.message); return false; }
    }
    if (res.ok) {
      delete document.body.dataset.cellucidSessionError;
      env.toast(openedMessage(body.report));
      return true;
    }
    const message = body.message || `HTTP ${res.status}`;
    if (res.status === 409 && body.matchable && strict
        && env.confirm(`${message}\n\nRestore it onto the cells whose names match?`)) return openFile(file, false);
    refused("open", message);
    return false;
  };

  input.addEventListener("change", () => {
    const file = input.files && input.files[0];
    input.value = "";
    if (file) openFile(file);
  });
  const open = () => input.click();
  if (env.el) {
    env.el.append(
      actionButton("Save session", "cellucid-save-session", "Download this view with its labels, highlights and panels (.cellucid-session)", save),
      actionButton("Open session", "cellucid-open-session", "Open a .cellucid-session file saved from this data", open));
  }
  return { save, open, openFile, input };
}
