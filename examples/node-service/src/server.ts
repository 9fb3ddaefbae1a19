import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";

const port = Number(process.env.PORT ?? 8080);
const server = createApp().listen(port, "127.0.0.1", () => {
  console.log(`listening on http://127.0.0.1:${(server.address() as AddressInfo).port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
