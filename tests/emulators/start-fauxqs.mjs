// Starts fauxqs's S3 emulator on 127.0.0.1 only (its own CLI and startFauxqs listen on every interface).
// Usage: node start-fauxqs.mjs PORT
import { buildApp } from "./node_modules/fauxqs/dist/app.js";
import { SqsStore } from "./node_modules/fauxqs/dist/sqs/sqsStore.js";
import { SnsStore } from "./node_modules/fauxqs/dist/sns/snsStore.js";
import { S3Store } from "./node_modules/fauxqs/dist/s3/s3Store.js";

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  console.error("usage: node start-fauxqs.mjs PORT");
  process.exit(2);
}

const app = buildApp({
  logger: process.env.FAUXQS_LOG === "1" ? { level: "error" } : false,
  host: `127.0.0.1:${port}`,
  stores: { sqsStore: new SqsStore(), snsStore: new SnsStore(), s3Store: new S3Store() },
});
await app.listen({ port, host: "127.0.0.1" });
console.log(`fauxqs listening on http://127.0.0.1:${port}`);
