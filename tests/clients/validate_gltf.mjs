// Validate glTF/GLB files with the Khronos glTF-Validator (npm gltf-validator) and print one
// JSON array of reports, in argument order, to stdout.
//   node tests/clients/validate_gltf.mjs a.glb b.glb
import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const validator = require("gltf-validator");

const reports = [];
for (const path of process.argv.slice(2)) {
  const bytes = new Uint8Array(await readFile(path));
  const report = await validator.validateBytes(bytes, {
    uri: path,
    maxIssues: 200,
    // a GLB from this project is self-contained, so any external reference is an error; a .gltf's
    // .bin is read from beside it
    externalResourceFunction: (uri) =>
      path.toLowerCase().endsWith(".gltf")
        ? readFile(join(dirname(path), decodeURIComponent(uri))).then((b) => new Uint8Array(b))
        : Promise.reject(new Error(`external resource ${uri}`)),
  });
  reports.push(report);
}
process.stdout.write(JSON.stringify(reports));
