import type { Store } from "../store/index.js";

export interface ApprovalRequest {
  runId: string;
  jobKey: string;
  /** What the approver must name; empty when the job names nothing. */
  subject: string;
  /** The role an approver needs. */
  role: string;
}

export interface ApprovalDecision {
  approved: boolean;
  by: string;
  comment: string | undefined;
}

/** Where a job that needs approval waits for a person's decision. */
export interface ApprovalGate {
  /**
   * Records the request, calls `waiting` once a decision can be made, and resolves with the
   * decision, or undefined when `signal` aborted first (the run was cancelled).
   */
  wait(
    request: ApprovalRequest,
    signal: AbortSignal,
    waiting: () => void,
  ): Promise<ApprovalDecision | undefined>;
}

/**
 * Approvals kept in the store: the request is written once (a resumed run finds it, and any
 * decision made meanwhile), then read until someone decides. `slipway approve` writes the
 * decision to the same store, directly or through the server, so one gate serves local runs and
 * server runs.
 */
export function storeApprovals(store: Store, pollMs = 1_000): ApprovalGate {
  return {
    async wait(request, signal, waiting) {
      await store.control.requestApproval({ ...request, at: Date.now() });
      waiting();
      while (!signal.aborted) {
        const current = await store.control.getApproval(request.runId, request.jobKey);
        if (current !== undefined && current.status !== "pending") {
          return {
            approved: current.status === "approved",
            by: current.decidedBy ?? "unknown",
            comment: current.comment,
          };
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, pollMs);
          signal.addEventListener("abort", done, { once: true });
          function done() {
            clearTimeout(timer);
            signal.removeEventListener("abort", done);
            resolve();
          }
        });
      }
      return undefined;
    },
  };
}
