import { useEffect } from "react";
import { Link, NavLink, Navigate, Outlet, useLocation } from "react-router";
import type { ReactNode } from "react";
import { useAuth } from "./auth.js";
import { ThemeToggle } from "./theme.js";

/** Sets the tab's title: what the page shows, then the product. */
export function useTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · Slipway` : "Slipway";
  }, [title]);
}

/** Pages behind sign-in: without a token, the sign-in page, which comes back here after. */
export function RequireAuth({ children }: { children: ReactNode }) {
  const { who, checking } = useAuth();
  const location = useLocation();
  if (checking) return <p className="page-note">Checking your token…</p>;
  if (who === undefined) {
    const next = `${location.pathname}${location.search}${location.hash}`;
    return <Navigate to={`/sign-in?next=${encodeURIComponent(next)}`} replace />;
  }
  return children;
}

export function Layout() {
  const { who, signOut, can } = useAuth();
  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/runs" className="brand">
          Slipway
        </Link>
        <nav aria-label="Main" className="nav">
          <NavLink to="/runs">Runs</NavLink>
          <NavLink to="/projects">Projects</NavLink>
          <NavLink to="/agents">Agents</NavLink>
          {can("admin", who?.project) && <NavLink to="/audit">Audit log</NavLink>}
        </nav>
        <div className="topbar-end">
          {who && (
            <span className="who" data-testid="who">
              <span className="who-name">{who.name}</span>
              <span className="role-badge" data-role={who.role}>
                {who.role}
              </span>
              {who.project !== undefined && <span className="who-scope">project {who.project}</span>}
            </span>
          )}
          <ThemeToggle />
          <button type="button" className="button subtle" onClick={signOut}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1} className="main">
        <Outlet />
      </main>
    </div>
  );
}
