import { Agent } from "node:http";
import type { Socket } from "node:net";
import type { Backend } from "./route-table.js";

/** A backend with its keep-alive connections and the requests being forwarded to it. */
export interface PooledBackend {
  readonly backend: Backend;
  readonly agent: Agent;
  /** host and port to connect to, from the backend's URL. */
  readonly hostname: string;
  readonly port: number;
  inFlight: number;
}

/**
 * One keep-alive agent per backend, so connections are reused within a backend and can be closed
 * per backend. A backend that leaves the route table is retired: its requests in flight finish on
 * their connections, but a connection freed by one is closed rather than pooled, and the agent is
 * destroyed once the last request ends. A new request can then never be written to a pooled
 * connection of an instance that is about to stop.
 */
export class BackendPool {
  /** Backends of the current table, by `key()`. */
  private readonly current = new Map<string, PooledBackend>();
  /** Backends gone from the table that still have requests in flight. */
  private readonly retired = new Set<PooledBackend>();

  /** Makes `backends` the current ones and retires the rest. */
  update(backends: readonly Backend[]): void {
    const keep = new Set(backends.map(key));
    for (const [k, pooled] of this.current) {
      if (keep.has(k)) continue;
      this.current.delete(k);
      this.retire(pooled);
    }
    for (const backend of backends) {
      if (!this.current.has(key(backend))) this.current.set(key(backend), pooledBackend(backend));
    }
  }

  /** Counts a request to `backend` as in flight; pair with `release()`. */
  acquire(backend: Backend): PooledBackend {
    let pooled = this.current.get(key(backend));
    if (pooled === undefined) {
      // Only a backend of the current table is chosen; keep going rather than fail a request.
      pooled = pooledBackend(backend);
      this.current.set(key(backend), pooled);
    }
    pooled.inFlight += 1;
    return pooled;
  }

  release(pooled: PooledBackend): void {
    pooled.inFlight -= 1;
    if (pooled.inFlight === 0 && this.retired.delete(pooled)) pooled.agent.destroy();
  }

  /** Requests in flight to the backends with these ids, or to every backend. */
  inFlight(ids?: ReadonlySet<string>): number {
    let total = 0;
    for (const pooled of [...this.current.values(), ...this.retired]) {
      if (ids === undefined || ids.has(pooled.backend.id)) total += pooled.inFlight;
    }
    return total;
  }

  /** Requests in flight to backends that are no longer in the table, and their ids. */
  retiredInFlight(): { count: number; ids: string[] } {
    const busy = [...this.retired].filter((pooled) => pooled.inFlight > 0);
    return {
      count: busy.reduce((sum, pooled) => sum + pooled.inFlight, 0),
      ids: busy.map((pooled) => pooled.backend.id),
    };
  }

  /** Closes every connection, in use or not. */
  destroy(): void {
    for (const pooled of [...this.current.values(), ...this.retired]) pooled.agent.destroy();
    this.current.clear();
    this.retired.clear();
  }

  private retire(pooled: PooledBackend): void {
    if (pooled.inFlight === 0) {
      pooled.agent.destroy();
      return;
    }
    this.retired.add(pooled);
    for (const sockets of Object.values(pooled.agent.freeSockets)) {
      for (const socket of sockets ?? []) socket.destroy();
    }
    // The agent pools a socket when its response ends ("free"); this listener runs after the
    // agent's own, so the socket is closed instead of waiting for a request that must not come.
    pooled.agent.on("free", (socket: Socket) => socket.destroy());
  }
}

/** Id and URL: a backend that keeps its id but moves is a different destination. */
function key(backend: Backend): string {
  return `${backend.id} ${backend.url}`;
}

function pooledBackend(backend: Backend): PooledBackend {
  const url = new URL(backend.url);
  return {
    backend,
    agent: new Agent({ keepAlive: true }),
    // URL keeps IPv6 literals in brackets; connect() wants the bare address.
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
    port: url.port === "" ? 80 : Number(url.port),
    inFlight: 0,
  };
}
