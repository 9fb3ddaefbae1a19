/**
 * The Kubernetes framework: manifests (multi-document YAML or JSON, `List`s), Helm charts rendered
 * with `helm template` and kustomizations rendered with `kubectl kustomize`, all checked together
 * as one model so rules can relate objects across files.
 *
 * Suppressions: a `# slipway:ignore` comment covers the document or key below it (see
 * comment-suppressions.ts); a `slipway.dev/ignore` annotation covers its object (annotations.ts).
 */
import { dirname, posix } from "node:path";
import { runCustomRules } from "../custom/run.js";
import type { FrameworkResult, FrameworkScanner, ScanContext, SourceFile } from "../model.js";
import { runRules } from "../rule.js";
import { annotationSuppressions } from "./annotations.js";
import { commentSuppressions } from "./comment-suppressions.js";
import { genericResources } from "./generic.js";
import { CHART_FILE, helmLineMapper, remapFile, topLevelCharts, within } from "./helm.js";
import { absoluteDirectory, alignRendered, KUSTOMIZATION_NAMES, planKustomize } from "./kustomize.js";
import { mayHoldObjects, objectsOf } from "./load.js";
import { buildModel, type K8sModel, type K8sObject } from "./model.js";
import { KUBERNETES_RULES } from "./rules/index.js";
import { mapLimit } from "../../kubernetes/concurrency.js";
import { runTool } from "./run-tool.js";
import { parseYamlFile, type LFile } from "./yaml-tree.js";

export interface KubernetesScannerOptions {
  /** The helm executable (default `helm` on PATH). */
  helm?: string | undefined;
  /** The kubectl executable used for `kubectl kustomize` (default `kubectl` on PATH). */
  kubectl?: string | undefined;
  /** How long one render may take, in milliseconds (default 60 s). */
  timeoutMs?: number | undefined;
}

const MANIFEST = /\.(?:ya?ml|json)$/i;
const TEMPLATE_DIR = /(?:^|\/)templates\//;
/** Renders run as child processes; two at a time keeps a small machine responsive. */
const RENDER_CONCURRENCY = 2;

export function createKubernetesScanner(options: KubernetesScannerOptions = {}): FrameworkScanner {
  const helm = options.helm ?? "helm";
  const kubectl = options.kubectl ?? "kubectl";
  const timeoutMs = options.timeoutMs ?? 60_000;
  return {
    framework: "kubernetes",
    rules: KUBERNETES_RULES,
    claims(file: SourceFile): boolean {
      const name = posix.basename(file.path);
      if (name === CHART_FILE || KUSTOMIZATION_NAMES.has(name)) return true;
      return MANIFEST.test(name) && mayHoldObjects(file.text);
    },
    scan: (files, context) => scanKubernetes(files, context, { helm, kubectl, timeoutMs }),
  };
}

export const kubernetesScanner: FrameworkScanner = createKubernetesScanner();

async function scanKubernetes(
  files: readonly SourceFile[],
  context: ScanContext,
  tools: { helm: string; kubectl: string; timeoutMs: number },
): Promise<FrameworkResult> {
  const result: FrameworkResult = { findings: [], suppressions: [], diagnostics: [], notes: [], files: [] };
  const read = new Set<string>();
  const byPath = new Map(files.map((file) => [file.path, file]));
  const charts = topLevelCharts(files.map((file) => file.path));

  // Parse every manifest once; chart directories are rendered instead (their templates are not YAML).
  const parsed = new Map<string, LFile>();
  const rawObjects = new Map<string, K8sObject[]>();
  for (const file of files) {
    if (charts.some((chart) => within(file.path, chart))) continue;
    if (TEMPLATE_DIR.test(file.path) && file.text.includes("{{")) {
      result.notes.push(
        `${file.path}: looks like a Helm template outside a chart in the scan; not checked (scan its chart directory)`,
      );
      continue;
    }
    const tree = parseYamlFile(file.path, file.text);
    parsed.set(file.path, tree);
    rawObjects.set(file.path, objectsOf(tree));
    const comments = commentSuppressions(tree);
    result.suppressions.push(...comments.suppressions);
    result.diagnostics.push(...tree.diagnostics, ...comments.diagnostics);
    if (tree.diagnostics.length > 0 || (rawObjects.get(file.path)?.length ?? 0) > 0) read.add(file.path);
  }

  const objects: K8sObject[] = [];
  const checkedByRender = new Set<string>();

  // Kustomize: render the top-level kustomizations; their raw files are checked through the output.
  const kustomizations = [...parsed.entries()]
    .filter(([path]) => KUSTOMIZATION_NAMES.has(posix.basename(path)))
    .flatMap(([path, tree]) => {
      const file = byPath.get(path);
      return file ? [{ file, tree }] : [];
    });
  const plan = planKustomize(kustomizations, new Set(parsed.keys()));
  const builds = await mapLimit(plan.targets, RENDER_CONCURRENCY, (target) =>
    runTool(tools.kubectl, ["kustomize", absoluteDirectory(target)], {
      cwd: context.root,
      timeoutMs: tools.timeoutMs,
    }),
  );
  plan.targets.forEach((target, index) => {
    const build = builds[index];
    read.add(target.file.path);
    if (build?.ok) {
      const rendered = parseYamlFile(target.file.path, build.stdout);
      const objectsIn = (paths: Iterable<string>): K8sObject[] =>
        [...paths].flatMap((p) => rawObjects.get(p) ?? []);
      alignRendered(
        rendered,
        target,
        parsed.get(target.file.path)?.docs[0]?.root,
        objectsIn(target.resources),
        objectsIn(target.patches),
      );
      objects.push(...objectsOf(rendered));
      result.diagnostics.push(...rendered.diagnostics);
      for (const path of [...target.resources, ...target.patches]) {
        checkedByRender.add(path);
        read.add(path);
      }
      result.notes.push(
        `${target.dir}: rendered with kubectl kustomize; findings point at the files it is built from`,
      );
    } else if (build?.reason === "missing") {
      result.notes.push(
        `${target.dir}: kustomization not rendered: kubectl is not installed (install kubectl to check it as deployed); its resources were checked as written`,
      );
    } else if (build) {
      result.diagnostics.push({
        span: { file: target.file.path, line: 1, column: 1 },
        message: `kubectl kustomize ${target.dir} failed: ${build.message}`,
        hint: "its resources were checked as written, without the kustomization applied",
      });
    }
  });
  for (const [path, list] of rawObjects)
    if (!checkedByRender.has(path) && !plan.neverRaw.has(path)) objects.push(...list);

  // Helm: render each chart; without helm, say so rather than misreading templates.
  // Line counts only map rendered charts back to their templates: none without a chart.
  const lineCounts = new Map(
    charts.length === 0 ? [] : files.map((file) => [file.path, lineCount(file.text)]),
  );
  const renders = await mapLimit(charts, RENDER_CONCURRENCY, (chart) => {
    const chartFile = byPath.get(chart === "." ? CHART_FILE : `${chart}/${CHART_FILE}`);
    const cwd = chartFile ? dirname(chartFile.absolutePath) : context.root;
    return runTool(tools.helm, ["template", cwd], { cwd, timeoutMs: tools.timeoutMs });
  });
  charts.forEach((chart, index) => {
    const render = renders[index];
    const chartPath = chart === "." ? CHART_FILE : `${chart}/${CHART_FILE}`;
    read.add(chartPath);
    if (render?.ok) {
      const rendered = parseYamlFile(chartPath, render.stdout);
      const comments = commentSuppressions(rendered);
      remapFile(
        rendered,
        helmLineMapper(render.stdout, chart, lineCounts),
        comments.suppressions,
        comments.diagnostics,
      );
      const chartObjects = objectsOf(rendered);
      objects.push(...chartObjects);
      for (const object of chartObjects) read.add(object.file);
      result.suppressions.push(...comments.suppressions);
      result.diagnostics.push(...rendered.diagnostics, ...comments.diagnostics);
      result.notes.push(
        `${chart}: rendered with helm template; lines inside templates are approximate (helm keeps no line map)`,
      );
    } else if (render?.reason === "missing") {
      result.notes.push(
        `${chart}: Helm chart not rendered: helm is not installed (install helm to check it)`,
      );
    } else if (render) {
      result.diagnostics.push({
        span: { file: chartPath, line: 1, column: 1 },
        message: `helm template ${chart} failed: ${render.message}`,
        hint: "run `helm dependency build` if the chart has dependencies; the chart was not checked",
      });
    }
  });

  const model: K8sModel = buildModel(objects);
  for (const object of objects) {
    const annotation = annotationSuppressions(object);
    result.suppressions.push(...annotation.suppressions);
    result.diagnostics.push(...annotation.diagnostics);
  }

  result.findings.push(...runRules(model, KUBERNETES_RULES, context));
  const custom = runCustomRules("kubernetes", () => genericResources(model), context);
  result.findings.push(...custom.findings);
  result.diagnostics.push(...custom.diagnostics);
  result.files = [...read].filter((path) => byPath.has(path)).sort();
  return result;
}

function lineCount(text: string): number {
  let count = 1;
  for (let at = text.indexOf("\n"); at !== -1; at = text.indexOf("\n", at + 1)) count++;
  return count;
}
