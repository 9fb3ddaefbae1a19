import { ApiError } from "../api/client.js";

/** An error as the server explained it: its message and, when it gave one, its hint. */
export function ErrorBanner({ error, onDismiss }: { error: unknown; onDismiss?: () => void }) {
  if (error === undefined || error === null) return null;
  const message = error instanceof Error ? error.message : String(error);
  const hint = error instanceof ApiError ? error.hint : undefined;
  const status = error instanceof ApiError && error.status > 0 ? error.status : undefined;
  return (
    <div className="error-banner" role="alert">
      <p className="error-message">
        {status !== undefined && <span className="error-status">{status}</span>}
        {message}
      </p>
      {hint !== undefined && <p className="error-hint">{hint}</p>}
      {onDismiss && (
        <button type="button" className="button subtle" onClick={onDismiss}>
          Dismiss
        </button>
      )}
    </div>
  );
}
