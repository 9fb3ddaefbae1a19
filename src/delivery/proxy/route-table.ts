import { InternalError, UsageError } from "../../errors/index.js";

export interface Backend {
  /** Instance id, e.g. "v2-0". Unique within a table: in-flight requests are tracked by it. */
  id: string;
  /** http://127.0.0.1:PORT or http://10.x.x.x:PORT */
  url: string;
}

export interface ReleaseRoute {
  release: string;
  backends: Backend[];
}

export interface RouteTable {
  stable: ReleaseRoute;
  canary?: ReleaseRoute & {
    /** 0..100: the percentage of requests without a pinning header sent to the canary. */
    weight: number;
  };
}

export type Role = "stable" | "canary";

/** Where one request goes. */
export interface Target {
  role: Role;
  release: string;
  backend: Backend;
}

export type Selection =
  | { kind: "target"; target: Target }
  /** The pinning header named no release of the table. */
  | { kind: "unknown-pin"; known: string[] }
  /** The chosen release has no backend to send to. */
  | { kind: "no-instance"; role: Role; release: string };

/** A copy of `table`, checked; throws UsageError when it cannot be routed. */
export function checkRouteTable(table: RouteTable): RouteTable {
  const copy = structuredClone(table);
  const weight = copy.canary?.weight;
  if (weight !== undefined && !(Number.isFinite(weight) && weight >= 0 && weight <= 100)) {
    throw new UsageError(`canary weight must be between 0 and 100, got ${weight}`);
  }
  const ids = new Set<string>();
  for (const route of routesOf(copy)) {
    for (const backend of route.backends) {
      if (ids.has(backend.id))
        throw new UsageError(`backend id "${backend.id}" appears twice in the route table`);
      ids.add(backend.id);
      let url: URL;
      try {
        url = new URL(backend.url);
      } catch (error) {
        throw new UsageError(`backend ${backend.id} has an invalid URL "${backend.url}"`, { cause: error });
      }
      if (url.protocol !== "http:") {
        throw new UsageError(`backend ${backend.id} must be an http:// URL, got "${backend.url}"`);
      }
    }
  }
  return copy;
}

export function routesOf(table: RouteTable): ReleaseRoute[] {
  return table.canary === undefined ? [table.stable] : [table.stable, table.canary];
}

/**
 * Chooses a backend per request for one route table; a new table gets a new selector, so a
 * change of weights starts a fresh, exact split.
 */
export class RouteSelector {
  private unpinned = 0;
  private readonly nextIndex: Record<Role, number> = { stable: 0, canary: 0 };

  constructor(readonly table: RouteTable) {}

  /** `pin` is the pinning header's value: "stable", "canary" or a release name. */
  select(pin: string | undefined): Selection {
    if (pin === undefined) return this.weighted();
    const role = this.pinnedRole(pin);
    if (role === undefined) return { kind: "unknown-pin", known: this.knownPins() };
    return this.fromRole(role);
  }

  /**
   * Another backend for a request whose connection failed before the backend answered: one of
   * the same release first, else (unless the request is pinned) the other release. A canary at
   * weight 0 is a preview nobody chose to send traffic to, so it is never used as the fallback.
   */
  alternative(failed: Target, pinned: boolean): Target | undefined {
    const routes = routesOf(this.table);
    const same = routes.filter((route) => route.release === failed.release);
    const others = pinned
      ? []
      : routes.filter(
          (route) =>
            route.release !== failed.release &&
            !(route === this.table.canary && this.table.canary.weight === 0),
        );
    for (const route of [...same, ...others]) {
      const role: Role = route === this.table.stable ? "stable" : "canary";
      const backends = route.backends.filter((backend) => backend.id !== failed.backend.id);
      const backend = this.roundRobin(role, backends);
      if (backend !== undefined) return { role, release: route.release, backend };
    }
    return undefined;
  }

  private weighted(): Selection {
    const canary = this.table.canary;
    const n = this.unpinned++;
    // Request n+1 goes to the canary when floor((n+1)·w/100) steps up: every 100 requests carry
    // exactly w canary requests, spread evenly, where random draws would only approach w, and an
    // analysis comparing small samples would see noise that the weight did not ask for.
    const toCanary =
      canary !== undefined &&
      Math.floor(((n + 1) * canary.weight) / 100) > Math.floor((n * canary.weight) / 100);
    // A canary without ready instances yet has nothing to serve with: stable answers instead of
    // failing the request.
    if (toCanary && canary.backends.length > 0) return this.fromRole("canary");
    return this.fromRole("stable");
  }

  private fromRole(role: Role): Selection {
    const route = role === "canary" ? this.table.canary : this.table.stable;
    if (route === undefined)
      throw new InternalError("a request was routed to a canary the table does not have");
    const backend = this.roundRobin(role, route.backends);
    if (backend === undefined) return { kind: "no-instance", role, release: route.release };
    return { kind: "target", target: { role, release: route.release, backend } };
  }

  private roundRobin(role: Role, backends: readonly Backend[]): Backend | undefined {
    if (backends.length === 0) return undefined;
    const index = this.nextIndex[role]++;
    return backends[index % backends.length];
  }

  private pinnedRole(pin: string): Role | undefined {
    const { stable, canary } = this.table;
    if (pin === "stable") return "stable";
    if (pin === "canary") return canary === undefined ? undefined : "canary";
    if (pin === stable.release) return "stable";
    if (canary !== undefined && pin === canary.release) return "canary";
    return undefined;
  }

  private knownPins(): string[] {
    const { stable, canary } = this.table;
    return canary === undefined
      ? ["stable", stable.release]
      : ["stable", "canary", stable.release, canary.release];
  }
}
