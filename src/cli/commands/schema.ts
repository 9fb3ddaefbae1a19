import { nativeJsonSchema } from "../../pipeline/index.js";

export function schemaCommand(): void {
  process.stdout.write(`${JSON.stringify(nativeJsonSchema(), null, 2)}\n`);
}
