/**
 * Promises that resolve once a condition holds, re-checked whenever `notify()` says something it
 * depends on changed (a request ended, the route table changed): no polling.
 */
export class ConditionWaiters {
  private readonly checks = new Set<() => void>();

  /** Resolves once `condition()` is true; rejects with `onTimeout()` after `timeoutMs`. */
  wait(condition: () => boolean, timeoutMs: number, onTimeout: () => Error): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const stop = (): void => {
        clearTimeout(timer);
        this.checks.delete(check);
      };
      const check = (): void => {
        if (!condition()) return;
        stop();
        resolve();
      };
      const timer = setTimeout(() => {
        stop();
        reject(onTimeout());
      }, timeoutMs);
      this.checks.add(check);
    });
  }

  notify(): void {
    for (const check of [...this.checks]) check();
  }
}
