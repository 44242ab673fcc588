// A clock a test moves by hand, for the modules that wait (they take `clock`, as `web/clock.js`'s
// `realClock`): `advance(ms)` runs each timer due on the way, in time order, and lets the
// promises it resolves settle before the next one. No test waits on real time.

export class FakeClock {
  constructor(start = 1000) {
    this.t = start;
    this.timers = [];
    this.seq = 0;
    this.now = () => this.t;
    this.setTimeout = (fn, ms) => {
      const id = ++this.seq;
      this.timers.push({ id, at: this.t + Math.max(0, Number(ms) || 0), fn });
      return id;
    };
    this.clearTimeout = (id) => { this.timers = this.timers.filter((t) => t.id !== id); };
    this.sleep = (ms) => new Promise((resolve) => this.setTimeout(resolve, ms));
  }

  /** Let what is pending run (promise callbacks, chains of awaits); the clock does not move. */
  async settle() {
    for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
  }

  /** Move the clock on by `ms`, running the timers due on the way. */
  async advance(ms) {
    const end = this.t + ms;
    await this.settle();
    for (;;) {
      const due = this.timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at || a.id - b.id);
      if (!due.length) break;
      this.timers = this.timers.filter((t) => t !== due[0]);
      this.t = due[0].at;
      due[0].fn();
      await this.settle();
    }
    this.t = end;
  }
}
