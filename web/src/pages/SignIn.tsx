import { useState } from "react";
import type { FormEvent } from "react";
import { Navigate, useNavigate, useSearchParams } from "react-router";
import { useAuth } from "../app/auth.js";
import { ErrorBanner } from "../app/ErrorBanner.js";
import { useTitle } from "../app/Layout.js";
import { ThemeToggle } from "../app/theme.js";

/** Only paths of this UI: a `next` pointing elsewhere would make sign-in an open redirect. */
function safeNext(next: string | null): string {
  return next !== null && next.startsWith("/") && !next.startsWith("//") ? next : "/runs";
}

export function SignInPage() {
  useTitle("Sign in");
  const { who, signIn } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(undefined);
  const next = safeNext(params.get("next"));

  if (who !== undefined && !busy) return <Navigate to={next} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(token);
      void navigate(next, { replace: true });
    } catch (failure) {
      setError(failure);
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in" id="main">
      <div className="sign-in-card">
        <h1>Slipway</h1>
        <form onSubmit={(e) => void submit(e)} className="form">
          <label htmlFor="token">API token</label>
          <input
            id="token"
            name="token"
            type="password"
            autoComplete="off"
            spellCheck={false}
            required
            autoFocus
            value={token}
            onChange={(e) => setToken(e.target.value)}
            placeholder="slw_…"
          />
          <button type="submit" className="button primary" disabled={busy || token.trim() === ""}>
            {busy ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <ErrorBanner error={error} />
        <p className="muted">
          The token stays in this tab only (session storage). <code>slipway serve</code> prints an admin token
          on its first start (also in <code>&lt;data-dir&gt;/admin-token</code>);{" "}
          <code>slipway token create --role developer</code> makes more.
        </p>
        <ThemeToggle />
      </div>
    </main>
  );
}
