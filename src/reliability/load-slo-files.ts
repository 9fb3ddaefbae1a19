import { sortByPosition } from "../config/schema-diagnostics.js";
import { YamlSource } from "../config/yaml-source.js";
import { ConfigError } from "../errors/index.js";
import type { Diagnostic } from "../errors/index.js";
import { loadNativeSlos } from "./load-native.js";
import { loadOpenSloDocuments } from "./load-openslo.js";
import type { OpenSloDocument } from "./load-openslo.js";
import { duplicateIds, loadSlothDocument, SLOTH_SPEC_VERSION } from "./load-spec.js";
import type { Slo, SloSet } from "./model.js";
import { OPENSLO_API_VERSION } from "./openslo-schema.js";
import { GOOGLE_30D_WINDOWS } from "./windows.js";
import type { AlertWindows } from "./windows.js";

export interface SloFile {
  file: string;
  text: string;
}

export interface LoadSloOptions {
  /** Windows of Sloth specs, which have no period (`sloth generate --default-slo-period`). Default: 30d. */
  slothWindows?: AlertWindows;
}

export type SloFormat = "sloth" | "openslo" | "native";

/**
 * Which front-end reads a document, by its content: `version:` is Sloth (prometheus/v1),
 * `apiVersion:` is OpenSLO (openslo/v1), a top-level `slos:` without either is Slipway's native
 * format. Undefined for anything else. A wrong version is left to the front-end, which reports it
 * with its position and the expected value.
 */
export function detectSloFormat(raw: unknown): SloFormat | undefined {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  if ("version" in raw) return "sloth";
  if ("apiVersion" in raw) return "openslo";
  if ("slos" in raw) return "native";
  return undefined;
}

/**
 * Reads SLO files of any supported format, each possibly multi-document and the formats mixed,
 * into one set. OpenSLO `indicatorRef`s resolve across all files. Throws one ConfigError with the
 * problems of every file.
 */
export function loadSloFiles(files: readonly SloFile[], options: LoadSloOptions = {}): SloSet {
  const slos: Slo[] = [];
  const diagnostics: Diagnostic[] = [];
  const openSlo: OpenSloDocument[] = [];
  for (const { file, text } of files) {
    const { sources, diagnostics: syntax } = YamlSource.parseAll(file, text);
    diagnostics.push(...syntax);
    if (syntax.length > 0) continue;
    for (const source of sources) {
      const raw = source.toJS();
      // An empty document (a leading or trailing "---") is not a spec, as in Sloth's multi-file split.
      if (raw === null || raw === undefined) continue;
      const format = detectSloFormat(raw);
      const loaded =
        format === "sloth"
          ? loadSlothDocument(raw, source, options.slothWindows ?? GOOGLE_30D_WINDOWS)
          : format === "native"
            ? loadNativeDocument(raw as Record<string, unknown>, source)
            : undefined;
      if (loaded) {
        slos.push(...loaded.slos);
        diagnostics.push(...loaded.diagnostics);
      } else if (format === "openslo") {
        openSlo.push({ raw: raw as Record<string, unknown>, source });
      } else {
        diagnostics.push({
          position: source.positionOf([]),
          message: "not an SLO document: cannot tell its format",
          expected: `version: ${SLOTH_SPEC_VERSION} (Sloth), apiVersion: ${OPENSLO_API_VERSION} (OpenSLO), or a top-level slos: mapping (Slipway)`,
        });
      }
    }
  }
  const fromOpenSlo = loadOpenSloDocuments(openSlo);
  slos.push(...fromOpenSlo.slos);
  diagnostics.push(...fromOpenSlo.diagnostics);
  diagnostics.push(...duplicateIds(slos));
  if (diagnostics.length > 0) throw new ConfigError(sortByFile(diagnostics, files));
  return { slos, sources: new Map(files.map((f) => [f.file, f.text])) };
}

/** A file of its own holding only the native `slos:` section. */
/**
 * A slipway.yaml carries its pipeline and its delivery sections beside `slos:`; those keys are
 * checked by the pipeline's and the delivery's loaders.
 */
const PIPELINE_KEYS = new Set([
  "$schema",
  "name",
  "on",
  "env",
  "secrets",
  "jobs",
  "services",
  "analysis",
  "environments",
]);

function loadNativeDocument(raw: Record<string, unknown>, source: YamlSource) {
  const loaded = loadNativeSlos(raw["slos"], source, ["slos"]);
  const isPipeline = ["jobs", "services", "environments"].some((key) => key in raw);
  for (const key of Object.keys(raw).filter((k) => k !== "slos" && !(isPipeline && PIPELINE_KEYS.has(k)))) {
    loaded.diagnostics.push({
      position: source.positionOf([key], { key: true }),
      message: `unknown key "${key}" at the top level`,
      hint: "a native SLO file holds only slos:; Sloth specs start with version:, OpenSLO with apiVersion:",
    });
  }
  return loaded;
}

/** Files in the order given, and in file order within each. */
function sortByFile(diagnostics: Diagnostic[], files: readonly SloFile[]): Diagnostic[] {
  const order = new Map(files.map((f, i) => [f.file, i]));
  return sortByPosition(diagnostics).sort(
    (a, b) => (order.get(a.position.file) ?? 0) - (order.get(b.position.file) ?? 0),
  );
}
