import { execFile } from "node:child_process";
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import type { KubernetesObject } from "@kubernetes/client-node";
import { YamlSource } from "../config/yaml-source.js";
import type { YamlPath } from "../config/yaml-source.js";
import { ConfigError, EnvironmentError, UsageError } from "../errors/index.js";
import type { Diagnostic, SourcePosition } from "../errors/index.js";
import { CLUSTER_SCOPED_KINDS, objectKey } from "./identity.js";

const run = promisify(execFile);

export interface LoadManifestsOptions {
  /**
   * The namespace of namespaced objects that name none (as `kubectl apply -n`). Default: none,
   * and the sync engine puts them in the inventory's namespace. Cluster-scoped kinds are told by
   * CLUSTER_SCOPED_KINDS, without a cluster.
   */
  namespace?: string | undefined;
  /** The kubectl that runs `kubectl kustomize` (default: $SLIPWAY_KUBECTL, else kubectl on PATH). */
  kubectl?: string | undefined;
  /** The helm that runs `helm template` for a chart (default: $SLIPWAY_HELM, else helm on PATH). */
  helm?: string | undefined;
  /** Values files for a chart, as `helm template -f`, in order. */
  values?: string[] | undefined;
  /** The Helm release name a chart is rendered as; default: the chart's name. */
  release?: string | undefined;
}

/** Where a loaded object was written, so that the API server's complaints can point at the line. */
export interface ManifestSource {
  /** The start of the object's document (or List item). */
  position: SourcePosition;
  /** Where a field the API server names (`spec.template.spec.containers[0].image`) is, or its closest parent. */
  positionOf(field: string): SourcePosition;
}

const sources = new WeakMap<KubernetesObject, ManifestSource>();

/** Where `object` came from, when loadManifests (or parseManifests) made it. */
export function manifestSource(object: KubernetesObject): ManifestSource | undefined {
  return sources.get(object);
}

const KUSTOMIZATION_FILES = ["kustomization.yaml", "kustomization.yml", "Kustomization"];

/**
 * The Kubernetes objects at `target`: a YAML file, a directory of *.yaml / *.yml files (not
 * recursive, in name order, as `kubectl apply -f DIR`), a Kustomize directory (one with a
 * kustomization file), built by `kubectl kustomize`, or a Helm chart (a directory with
 * Chart.yaml), rendered by `helm template`. Every problem in every file is reported at once, each
 * at its line and column.
 */
export async function loadManifests(
  target: string,
  options: LoadManifestsOptions = {},
): Promise<KubernetesObject[]> {
  const info = await stat(target).catch((error: unknown) => {
    throw new UsageError(`cannot read ${target}: ${(error as Error).message}`, {
      hint: "pass a YAML file, a directory of YAML files or a Kustomize directory",
      cause: error,
    });
  });
  const files: { file: string; text: string }[] = [];
  if (info.isDirectory()) {
    const names = await readdir(target);
    const kustomization = KUSTOMIZATION_FILES.find((name) => names.includes(name));
    if (kustomization) {
      files.push({
        file: path.join(target, `${kustomization} (kustomize build)`),
        text: await render("kubectl", options.kubectl, ["kustomize", target], target),
      });
    } else if (names.includes("Chart.yaml")) {
      const chart = parse(await readFile(path.join(target, "Chart.yaml"), "utf8")) as {
        name?: unknown;
      } | null;
      const release =
        options.release ?? (typeof chart?.name === "string" ? chart.name : path.basename(target));
      const args = ["template", release, target, "--include-crds"];
      if (options.namespace) args.push("--namespace", options.namespace);
      for (const values of options.values ?? []) args.push("--values", values);
      files.push({
        file: path.join(target, "Chart.yaml (helm template)"),
        text: await render("helm", options.helm, args, target),
      });
    } else {
      const yamls = names.filter((name) => /\.ya?ml$/.test(name)).sort();
      if (yamls.length === 0) {
        throw new UsageError(`${target} holds no *.yaml or *.yml files and no kustomization.yaml`, {
          hint: "pass a YAML file, a directory of YAML files or a Kustomize directory",
        });
      }
      for (const name of yamls) {
        const file = path.join(target, name);
        files.push({ file, text: await readFile(file, "utf8") });
      }
    }
  } else {
    files.push({ file: target, text: await readFile(target, "utf8") });
  }

  const objects: KubernetesObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const { file, text } of files) {
    const parsed = parseManifests(file, text, options);
    objects.push(...parsed.objects);
    diagnostics.push(...parsed.diagnostics);
  }
  diagnostics.push(...duplicates(objects));
  if (diagnostics.length > 0) throw new ConfigError(diagnostics);
  return objects;
}

/**
 * The objects of one multi-document YAML text, with a diagnostic for every document that is not
 * one (`List` kinds are unwrapped, empty documents skipped). Duplicates across files are
 * loadManifests' business.
 */
export function parseManifests(
  file: string,
  text: string,
  options: LoadManifestsOptions = {},
): { objects: KubernetesObject[]; diagnostics: Diagnostic[] } {
  const { sources: docs, diagnostics } = YamlSource.parseAll(file, text);
  // A syntax error makes the rest of its document guesswork: report the syntax, not its fallout.
  if (diagnostics.length > 0) return { objects: [], diagnostics };
  const objects: KubernetesObject[] = [];
  for (const doc of docs) {
    const value = doc.toJS();
    if (value === null || value === undefined) continue;
    collect(doc, value, [], options, objects, diagnostics);
  }
  return { objects, diagnostics };
}

function collect(
  doc: YamlSource,
  value: unknown,
  at: YamlPath,
  options: LoadManifestsOptions,
  objects: KubernetesObject[],
  diagnostics: Diagnostic[],
): void {
  const report = (field: YamlPath, message: string, expected: string, hint?: string) =>
    diagnostics.push({ position: doc.positionOf([...at, ...field]), message, expected, hint });
  if (!isMap(value)) {
    report([], "a Kubernetes object must be a mapping", "a mapping with apiVersion, kind and metadata.name");
    return;
  }
  const { apiVersion, kind, metadata } = value;
  if (typeof kind === "string" && kind.endsWith("List") && Array.isArray(value["items"])) {
    // kubectl's List (and FooList) documents: their items are the objects.
    value["items"].forEach((item: unknown, i) =>
      collect(doc, item, [...at, "items", i], options, objects, diagnostics),
    );
    return;
  }
  let ok = true;
  if (typeof apiVersion !== "string" || apiVersion === "") {
    report(
      ["apiVersion"],
      "the object has no apiVersion",
      "apiVersion: the API group/version, e.g. apps/v1 or v1",
    );
    ok = false;
  }
  if (typeof kind !== "string" || kind === "") {
    report(
      ["kind"],
      "the object has no kind",
      "kind: the object's type, e.g. Deployment",
      "kinds are case-sensitive: ConfigMap, not configmap",
    );
    ok = false;
  }
  if (!isMap(metadata) || typeof metadata["name"] !== "string" || metadata["name"] === "") {
    report(
      isMap(metadata) ? ["metadata", "name"] : ["metadata"],
      "the object has no metadata.name",
      "metadata:\n    name: a DNS name, e.g. web",
      isMap(metadata) && metadata["generateName"] !== undefined
        ? "generateName cannot be applied: server-side apply needs a fixed name"
        : undefined,
    );
    ok = false;
  } else if (metadata["namespace"] !== undefined && typeof metadata["namespace"] !== "string") {
    report(["metadata", "namespace"], "metadata.namespace must be a string", "namespace: a namespace's name");
    ok = false;
  }
  if (!ok) return;
  const object = value as KubernetesObject;
  const meta = object.metadata as NonNullable<KubernetesObject["metadata"]>;
  if (
    meta.namespace === undefined &&
    options.namespace !== undefined &&
    !CLUSTER_SCOPED_KINDS.has(kind as string)
  )
    meta.namespace = options.namespace;
  sources.set(object, {
    position: doc.positionOf(at),
    positionOf: (field) => doc.positionOf([...at, ...fieldPath(field, value)]),
  });
  objects.push(object);
}

function duplicates(objects: KubernetesObject[]): Diagnostic[] {
  const seen = new Map<string, KubernetesObject>();
  const diagnostics: Diagnostic[] = [];
  for (const object of objects) {
    const key = objectKey(object);
    const first = seen.get(key);
    if (!first) {
      seen.set(key, object);
      continue;
    }
    const where = sources.get(first)?.position;
    diagnostics.push({
      position: sources.get(object)?.position ?? { file: "?", line: 1, column: 1 },
      message: `${object.kind} ${object.metadata?.namespace ? `${object.metadata.namespace}/` : ""}${object.metadata?.name} is defined twice`,
      expected: "each object (group, kind, namespace, name) once",
      hint: where
        ? `the first definition is at ${where.file}:${where.line}:${where.column}; remove one or rename it`
        : undefined,
    });
  }
  return diagnostics;
}

/**
 * The API server's field paths as a YAML path: `spec.containers[0].image`, and server-side apply's
 * `.spec.containers[name="web"].image`, whose list keys are looked up in `root` (the object).
 */
export function fieldPath(field: string, root?: unknown): YamlPath {
  const out: (string | number)[] = [];
  let node: unknown = root;
  const segment = /([^.[\]]+)|\[(\d+)\]|\[([^=\]]+)=("(?:[^"\\]|\\.)*"|[^\]]*)\]/g;
  for (const part of field.matchAll(segment)) {
    let step: string | number;
    if (part[1] !== undefined) step = part[1];
    else if (part[2] !== undefined) step = Number(part[2]);
    else {
      const key = part[3] ?? "";
      const raw = part[4] ?? "";
      const wanted = raw.startsWith('"') ? (JSON.parse(raw) as unknown) : raw;
      const index = Array.isArray(node)
        ? node.findIndex((item) => isMap(item) && String(item[key]) === String(wanted))
        : -1;
      if (index < 0) break;
      step = index;
    }
    out.push(step);
    node = isMap(node) || Array.isArray(node) ? (node as Record<string | number, unknown>)[step] : undefined;
  }
  return out;
}

/** The output of `kubectl kustomize` or `helm template` on `dir`, or an error saying what failed. */
async function render(
  tool: "kubectl" | "helm",
  given: string | undefined,
  args: string[],
  dir: string,
): Promise<string> {
  const binary = given ?? process.env[tool === "kubectl" ? "SLIPWAY_KUBECTL" : "SLIPWAY_HELM"] ?? tool;
  const what = tool === "kubectl" ? "a Kustomize directory" : "a Helm chart";
  try {
    return (await run(binary, args, { maxBuffer: 256 * 1024 * 1024 })).stdout;
  } catch (error) {
    const e = error as NodeJS.ErrnoException & { stderr?: string };
    const variable = tool === "kubectl" ? "SLIPWAY_KUBECTL" : "SLIPWAY_HELM";
    if (e.code === "ENOENT") {
      throw new EnvironmentError(`${dir} is ${what}, and ${tool} is not on PATH to render it`, {
        hint: `install ${tool}, or set ${variable} to its path`,
        cause: error,
      });
    }
    throw new UsageError(`${tool} ${args[0] ?? ""} ${dir} failed: ${(e.stderr ?? e.message).trim()}`, {
      hint: `run \`${tool} ${args.join(" ")}\` to see the problem; fix ${what} or the files it names`,
      cause: error,
    });
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
