/**
 * The hand a person has on a running deployment: promote (past the current pause, or `full` past
 * every remaining step) and abort. A deployment waits on it at pauses and between steps.
 */
export class RolloutControl {
  #promoted: { full: boolean } | undefined;
  #abortReason: string | undefined;
  #wake: (() => void) | undefined;
  readonly #aborted = new AbortController();

  /** Aborted when a person aborts; strategies pass it to long waits so they end at once. */
  get signal(): AbortSignal {
    return this.#aborted.signal;
  }

  get abortReason(): string | undefined {
    return this.#abortReason;
  }

  /** True once `promote({ full: true })` was called: remaining steps are skipped. */
  get fullyPromoted(): boolean {
    return this.#promoted?.full === true;
  }

  promote(options: { full?: boolean } = {}): void {
    const full = options.full === true || this.#promoted?.full === true;
    this.#promoted = { full };
    this.#wake?.();
  }

  abort(reason: string): void {
    if (this.#abortReason !== undefined) return;
    this.#abortReason = reason;
    this.#aborted.abort(new Error(reason));
    this.#wake?.();
  }

  /**
   * Waits until promoted or aborted, or `ms` elapsed when given. A promotion is consumed by the
   * wait it ends, so one promote passes one pause (a full promotion passes them all).
   */
  async wait(ms?: number): Promise<"promoted" | "aborted" | "elapsed"> {
    const settled = (): "promoted" | "aborted" | undefined => {
      if (this.#abortReason !== undefined) return "aborted";
      if (this.#promoted === undefined) return undefined;
      if (!this.#promoted.full) this.#promoted = undefined;
      return "promoted";
    };
    const now = settled();
    if (now) return now;
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(() => finish("elapsed"), ms);
      const finish = (result: "promoted" | "aborted" | "elapsed") => {
        if (timer) clearTimeout(timer);
        this.#wake = undefined;
        resolve(result);
      };
      this.#wake = () => {
        const result = settled();
        if (result) finish(result);
      };
    });
  }
}
