import type { GraphJob } from "./types.js";

/** A job drawn as a box. `id` is its id in the layout graph; `key` the job's key in the run. */
export interface ModelNode {
  id: string;
  key: string;
  label: string;
  /** The matrix group it is drawn in, if any. */
  groupId: string | undefined;
}

/** The children of one matrix job, drawn inside one box titled with the job's name. */
export interface ModelGroup {
  id: string;
  jobId: string;
  label: string;
  keys: string[];
}

/** A needs edge. `from` and `to` name its ends for people: a job key, or a matrix job's id. */
export interface ModelEdge {
  id: string;
  source: string;
  target: string;
  from: string;
  to: string;
}

export interface GraphModel {
  nodes: ModelNode[];
  groups: ModelGroup[];
  edges: ModelEdge[];
}

/**
 * What the layout depends on. Statuses and times are left out on purpose: a live run changes
 * them every second, and laying the graph out again would move boxes under the reader's eyes.
 */
export function graphShapeKey(jobs: readonly GraphJob[]): string {
  return JSON.stringify(jobs.map((j) => [j.key, j.jobId, j.name, j.needs, j.matrix !== undefined]));
}

/** `test (linux, 20)` of job `test` → `linux, 20`: what tells the children of a matrix apart. */
function childLabel(job: GraphJob): string {
  if (!job.key.startsWith(job.jobId)) return job.name;
  const rest = job.key.slice(job.jobId.length).trim();
  const inner = /^\((.*)\)(.*)$/.exec(rest);
  if (!inner) return rest || job.name;
  return `${inner[1] ?? ""}${inner[2] ?? ""}`.trim() || job.name;
}

/** The matrix job's own name: its children's names carry the same suffix as their keys. */
function groupLabel(first: GraphJob): string {
  const suffix = first.key.slice(first.jobId.length);
  if (first.key.startsWith(first.jobId) && suffix !== "" && first.name.endsWith(suffix)) {
    return first.name.slice(0, first.name.length - suffix.length);
  }
  return first.jobId;
}

/**
 * Turns the run's jobs into boxes, matrix groups and edges. When a job waits for every child of
 * a matrix job, one edge leaves the group instead of one per child, and when every child of a
 * matrix waits for the same thing, one edge enters the group: a 3×3 matrix needing a 4-child
 * one would otherwise draw 36 crossing lines that say one thing.
 */
export function buildGraphModel(jobs: readonly GraphJob[]): GraphModel {
  const byJobId = new Map<string, GraphJob[]>();
  for (const job of jobs) {
    const list = byJobId.get(job.jobId) ?? [];
    list.push(job);
    byJobId.set(job.jobId, list);
  }
  const keys = new Set(jobs.map((j) => j.key));

  const groups: ModelGroup[] = [];
  const groupOfJobId = new Map<string, ModelGroup>();
  for (const [jobId, members] of byJobId) {
    const first = members[0];
    if (!first || (members.length < 2 && first.matrix === undefined)) continue;
    const group = {
      id: `g${groups.length}`,
      jobId,
      label: groupLabel(first),
      keys: members.map((m) => m.key),
    };
    groups.push(group);
    groupOfJobId.set(jobId, group);
  }

  const nodes: ModelNode[] = [];
  const nodeIdOfKey = new Map<string, string>();
  for (const job of jobs) {
    const group = groupOfJobId.get(job.jobId);
    const id = `n${nodes.length}`;
    nodes.push({ id, key: job.key, label: group ? childLabel(job) : job.name, groupId: group?.id });
    nodeIdOfKey.set(job.key, id);
  }

  // Which instances each job waits for; a need naming a job id stands for all its instances.
  const needsOf = new Map<string, Set<string>>();
  for (const job of jobs) {
    const resolved = new Set<string>();
    for (const need of job.needs) {
      if (keys.has(need)) resolved.add(need);
      else for (const member of byJobId.get(need) ?? []) resolved.add(member.key);
    }
    resolved.delete(job.key);
    needsOf.set(job.key, resolved);
  }
  const jobIdOfKey = new Map(jobs.map((j) => [j.key, j.jobId]));

  // First pass: per target instance, the source ends (a whole group, or single instances).
  interface End {
    id: string;
    name: string;
  }
  const incoming = new Map<string, End[]>();
  for (const job of jobs) {
    const ends: End[] = [];
    const needed = needsOf.get(job.key) ?? new Set<string>();
    const seenGroups = new Set<string>();
    for (const need of needed) {
      const sourceJobId = jobIdOfKey.get(need) ?? need;
      const group = groupOfJobId.get(sourceJobId);
      if (group && group.keys.every((k) => needed.has(k))) {
        if (!seenGroups.has(group.id)) ends.push({ id: group.id, name: group.jobId });
        seenGroups.add(group.id);
      } else {
        ends.push({ id: nodeIdOfKey.get(need) ?? need, name: need });
      }
    }
    incoming.set(job.key, ends);
  }

  // Second pass: a source end every child of a target group shares enters the group once.
  const edges: ModelEdge[] = [];
  const add = (source: End, target: End) =>
    edges.push({
      id: `e${edges.length}`,
      source: source.id,
      target: target.id,
      from: source.name,
      to: target.name,
    });
  for (const [jobId, members] of byJobId) {
    const group = groupOfJobId.get(jobId);
    const shared = group
      ? (incoming.get(members[0]?.key ?? "") ?? []).filter((end) =>
          members.every((m) => (incoming.get(m.key) ?? []).some((e) => e.id === end.id)),
        )
      : [];
    if (group) for (const end of shared) add(end, { id: group.id, name: group.jobId });
    for (const member of members) {
      for (const end of incoming.get(member.key) ?? []) {
        if (shared.some((s) => s.id === end.id)) continue;
        add(end, { id: nodeIdOfKey.get(member.key) ?? member.key, name: member.key });
      }
    }
  }
  return { nodes, groups, edges };
}
