// Messages over the view: a toast for passing notes, a banner for delivery failures, and the
// full overlays for "the Python session ended" and for a frozen (stopped) viewer.

export const defaults = {
  toastMs: 3500,
  goneText: "The Python session ended \u2014 re-run the cell",
  goneDetail: "This viewer lost its connection to the Python kernel that served it. It reconnects by itself if the kernel comes back.",
};

export class Messages {
  constructor(root) {
    this.toastEl = root.querySelector("#toast");
    this.bannerEl = root.querySelector("#banner");
    this.goneEl = root.querySelector("#gone");
    this.frozenEl = root.querySelector("#frozen");
    this.timer = null;
    this.goneEl.querySelector(".title").textContent = defaults.goneText;
    this.goneEl.querySelector(".detail").textContent = defaults.goneDetail;
  }

  toast(text) {
    this.toastEl.textContent = text;
    this.toastEl.hidden = false;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { this.toastEl.hidden = true; }, defaults.toastMs);
  }

  banner(text) {
    this.bannerEl.textContent = text;
    this.bannerEl.hidden = !text;
  }

  /** Show or hide the "session ended" overlay. */
  gone(isGone) {
    if (this.frozen) isGone = false;
    this.goneEl.hidden = !isGone;
    document.body.dataset.cellucidGone = isGone ? "1" : "0";
  }

  freeze(message) {
    this.gone(false);
    this.frozen = true;
    this.frozenEl.querySelector(".title").textContent = message || "This viewer was stopped.";
    this.frozenEl.hidden = false;
    document.body.dataset.cellucidFrozen = "1";
  }
}
