import { z } from "zod";

/**
 * Sloth's `prometheus/v1` spec (https://sloth.dev/specs/prometheus/, pkg/prometheus/api/v1/v1.go),
 * strict so that a misspelt key is an error instead of a silently missing alert label.
 * Range and format checks live in load-spec.ts, where they get positions and hints.
 */

// YAML may give `tier: 2`; Sloth (yaml.v2 into map[string]string) takes the scalar's text.
const labelValue = z.union([z.string(), z.number(), z.boolean()]).transform(String);
const labels = z.record(z.string(), labelValue);

const alertSchema = z.strictObject({
  disable: z.boolean().optional(),
  labels: labels.optional(),
  annotations: labels.optional(),
});

const sliSchema = z.strictObject({
  events: z
    .strictObject({
      error_query: z.string(),
      total_query: z.string(),
    })
    .optional(),
  raw: z.strictObject({ error_ratio_query: z.string() }).optional(),
  // Accepted by the schema only to be reported as unsupported, with a hint, by the loader.
  plugin: z.unknown().optional(),
});

export const sloSpecSchema = z.strictObject({
  name: z.string(),
  objective: z.number(),
  description: z.string().optional(),
  labels: labels.optional(),
  sli: sliSchema,
  alerting: z
    .strictObject({
      name: z.string().optional(),
      labels: labels.optional(),
      annotations: labels.optional(),
      page_alert: alertSchema.optional(),
      ticket_alert: alertSchema.optional(),
    })
    .optional(),
  // Sloth's SLO plugins (newer than the spec this module implements): reported as unsupported.
  plugins: z.unknown().optional(),
});

export const slothSpecSchema = z.strictObject({
  version: z.string(),
  service: z.string(),
  labels: labels.optional(),
  slos: z.array(sloSpecSchema),
  slo_plugins: z.unknown().optional(),
});

export type SlothSpec = z.infer<typeof slothSpecSchema>;
export type SloSpec = z.infer<typeof sloSpecSchema>;
