// The clock the page's modules wait on: the browser's timers. A module that waits takes a
// `clock` in its options (tests hand it a fake one they move by hand), so nothing it does hangs
// on real time in a test.

/** `now()` in ms, `setTimeout(fn, ms)` → id, `clearTimeout(id)`, `sleep(ms)` → Promise. */
export const realClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
