import { z } from "zod";

/**
 * The parts of OpenSLO v1 (https://github.com/OpenSLO/OpenSLO#slo) that Slipway reads, strict so
 * a misspelt key is an error. Parts it cannot compile to Prometheus rules (threshold metrics,
 * time slices, calendar windows, alert policies, DataSource references) are accepted here only to
 * be reported, with positions and hints, by load-openslo.ts.
 */

export const OPENSLO_API_VERSION = "openslo/v1";

const labelValue = z.union([z.string(), z.number(), z.boolean(), z.array(z.string())]);

const metadataSchema = z.strictObject({
  name: z.string(),
  displayName: z.string().optional(),
  namespace: z.string().optional(),
  labels: z.record(z.string(), labelValue).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const metricSourceSchema = z.strictObject({
  metricSourceRef: z.string().optional(),
  type: z.string().optional(),
  spec: z.record(z.string(), z.unknown()).optional(),
});

const metricSchema = z.strictObject({ metricSource: metricSourceSchema });

const ratioMetricSchema = z.strictObject({
  counter: z.boolean(),
  good: metricSchema.optional(),
  bad: metricSchema.optional(),
  total: metricSchema.optional(),
  rawType: z.unknown().optional(),
  raw: z.unknown().optional(),
});

export const sliSpecSchema = z.strictObject({
  description: z.string().optional(),
  ratioMetric: ratioMetricSchema.optional(),
  thresholdMetric: z.unknown().optional(),
});

const objectiveSchema = z.strictObject({
  displayName: z.string().optional(),
  // op and value belong to threshold metrics; ratio SLIs ignore them.
  op: z.string().optional(),
  value: z.number().optional(),
  target: z.number().optional(),
  targetPercent: z.number().optional(),
  timeSliceTarget: z.unknown().optional(),
  timeSliceWindow: z.unknown().optional(),
  indicator: z.unknown().optional(),
  indicatorRef: z.unknown().optional(),
  compositeWeight: z.unknown().optional(),
});

const timeWindowSchema = z.strictObject({
  duration: z.string(),
  isRolling: z.boolean().optional(),
  calendar: z.unknown().optional(),
});

const sloSpecSchema = z.strictObject({
  description: z.string().optional(),
  service: z.string(),
  indicator: z.strictObject({ metadata: metadataSchema, spec: sliSpecSchema }).optional(),
  indicatorRef: z.string().optional(),
  timeWindow: z.array(timeWindowSchema),
  budgetingMethod: z.string(),
  objectives: z.array(objectiveSchema),
  alertPolicies: z.unknown().optional(),
});

const envelope = <K extends string, S extends z.ZodType>(kind: K, spec: S) =>
  z.strictObject({ apiVersion: z.string(), kind: z.literal(kind), metadata: metadataSchema, spec });

export const openSloSloSchema = envelope("SLO", sloSpecSchema);
export const openSloSliSchema = envelope("SLI", sliSpecSchema);
export const openSloServiceSchema = envelope(
  "Service",
  z.strictObject({ description: z.string().optional() }),
);

export type OpenSloSlo = z.infer<typeof openSloSloSchema>;
export type OpenSloSli = z.infer<typeof openSloSliSchema>;
export type OpenSloSliSpec = z.infer<typeof sliSpecSchema>;
export type OpenSloMetadata = z.infer<typeof metadataSchema>;

/** Allowed keys by the name of the mapping they sit in, for "did you mean" hints. */
export const OPENSLO_KEYS: Record<string, readonly string[]> = {
  "": Object.keys(openSloSloSchema.shape),
  metadata: Object.keys(metadataSchema.shape),
  spec: [...new Set([...Object.keys(sloSpecSchema.shape), ...Object.keys(sliSpecSchema.shape)])],
  indicator: ["metadata", "spec"],
  ratioMetric: Object.keys(ratioMetricSchema.shape),
  good: ["metricSource"],
  bad: ["metricSource"],
  total: ["metricSource"],
  metricSource: Object.keys(metricSourceSchema.shape),
  timeWindow: Object.keys(timeWindowSchema.shape),
  objectives: Object.keys(objectiveSchema.shape),
};
