// Entry point the Pulumi CLI loads (`main` of package.json). A published package runs its compiled JavaScript
// from bin/. In the source tree there is no bin/ to go stale: the Pulumi policy runner registers ts-node before
// it loads a pack, so the TypeScript sources run as they are.
const fs = require("node:fs");
const path = require("node:path");

if (fs.existsSync(path.join(__dirname, "index.ts"))) {
  require("./index.ts");
} else {
  require("./bin/index.js");
}
