// Vite turns a `?url` import into the URL of the file, copied to the build's assets as is.
declare module "elkjs/lib/elk-worker.min.js?url" {
  const url: string;
  export { url as default };
}
