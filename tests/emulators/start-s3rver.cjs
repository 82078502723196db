// Starts s3rver on 127.0.0.1, made read-after-write consistent as real S3 is.
// Usage: node start-s3rver.cjs PORT DATA_DIRECTORY
//
// s3rver 3.7.1 answers a PUT (and a multipart completion) before the object's bytes have reached its file: its
// store resolves when the request body has been read, not when the file write has finished. A HEAD, GET or
// listing sent right after the answer can then see a short or empty object. S3, R2, MinIO and Azure do not do
// that, and the engine relies on it once an uploaded file leaves its registry, so the store's putObject is
// wrapped to answer only once the file holds every byte it reported. Nothing else of s3rver is changed.
"use strict";

const fs = require("fs");
const S3rver = require("s3rver");
const FilesystemStore = require("s3rver/lib/stores/filesystem");

const port = Number(process.argv[2]);
const directory = process.argv[3];
if (!Number.isInteger(port) || port <= 0 || !directory) {
  console.error("usage: node start-s3rver.cjs PORT DATA_DIRECTORY");
  process.exit(2);
}

const POLL_MS = 2;
const MAX_POLLS = 5000; // 10 s: far beyond any local write; then the PUT fails loudly instead of hanging.

// The file may not even exist yet when the PUT resolves (its write stream opens asynchronously): that is size 0.
async function sizeOf(file) {
  try {
    return (await fs.promises.stat(file)).size;
  } catch (error) {
    if (error.code === "ENOENT") {
      return 0;
    }
    throw error;
  }
}

const putObject = FilesystemStore.prototype.putObject;
FilesystemStore.prototype.putObject = async function putObjectWhenWritten(object) {
  const result = await putObject.call(this, object);
  const file = this.getResourcePath(object.bucket, object.key, "object");
  for (let poll = 0; poll < MAX_POLLS; poll++) {
    if ((await sizeOf(file)) >= result.size) {
      return result;
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  throw new Error(`start-s3rver: ${file} still holds fewer than ${result.size} bytes after ${(POLL_MS * MAX_POLLS) / 1000} s`);
};

fs.mkdirSync(directory, { recursive: true });
new S3rver({ address: "127.0.0.1", port, directory, silent: true })
  .run()
  .then(({ address, port: listening }) => console.log(`s3rver listening on http://${address}:${listening}`))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
