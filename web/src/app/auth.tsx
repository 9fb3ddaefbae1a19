import { createContext, useCallback, useContext, useEffect, useMemo, useState } from "react";
import type { ReactNode } from "react";
import { ApiError, client, session, UNAUTHORIZED_EVENT, unwrap } from "../api/client.js";
import type { Role, Whoami } from "../api/types.js";
import { allows } from "./roles.js";

interface Auth {
  /** Who the session's token is; undefined before sign-in (or while it is checked). */
  who: Whoami | undefined;
  /** True while a stored token is checked with the server on load. */
  checking: boolean;
  signIn(token: string): Promise<void>;
  signOut(): void;
  can(role: Role, project?: string): boolean;
}

const AuthContext = createContext<Auth | undefined>(undefined);

async function whoami(): Promise<Whoami> {
  return unwrap(client.GET("/api/whoami"));
}

export function AuthProvider({ children }: { children: ReactNode }) {
  const [who, setWho] = useState<Whoami | undefined>(undefined);
  const [checking, setChecking] = useState(() => session.token() !== undefined);

  useEffect(() => {
    if (session.token() === undefined) return;
    whoami()
      .then(setWho)
      // An unknown token is dropped; a server that cannot be reached keeps it for the next try.
      .catch((error: unknown) => {
        if (error instanceof ApiError && error.status === 401) session.clear();
      })
      .finally(() => setChecking(false));
  }, []);

  useEffect(() => {
    const expired = () => {
      session.clear();
      setWho(undefined);
    };
    window.addEventListener(UNAUTHORIZED_EVENT, expired);
    return () => window.removeEventListener(UNAUTHORIZED_EVENT, expired);
  }, []);

  const signIn = useCallback(async (token: string) => {
    session.save(token.trim());
    try {
      setWho(await whoami());
    } catch (error) {
      session.clear();
      if (error instanceof ApiError && error.status === 401)
        throw new ApiError(
          401,
          "the server does not know this token",
          "create one with: slipway token create",
        );
      throw error;
    }
  }, []);

  const signOut = useCallback(() => {
    session.clear();
    setWho(undefined);
  }, []);

  const value = useMemo<Auth>(
    () => ({ who, checking, signIn, signOut, can: (role, project) => allows(who, role, project) }),
    [who, checking, signIn, signOut],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): Auth {
  const auth = useContext(AuthContext);
  if (auth === undefined) throw new Error("useAuth outside AuthProvider");
  return auth;
}
