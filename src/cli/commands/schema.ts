import { nativeJsonSchema } from "../../pipeline/index.js";

export async function schemaCommand(): Promise<void> {
  process.stdout.write(`${JSON.stringify(await nativeJsonSchema(), null, 2)}\n`);
}
