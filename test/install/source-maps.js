"use strict";
// The package ships no TypeScript sources (scripts/build-dist.sh), so it must carry no source map:
// one would send a stack trace to files the user does not have. Used on dist/ by the unit tests and
// on the installed package by the install matrix.
const fs = require("node:fs");
const path = require("node:path");

/** `.map` files under `root`, and JavaScript files that name one; paths relative to `root`. */
function sourceMapsIn(root) {
  const found = [];
  const walk = (dir) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== "node_modules") walk(full);
      } else if (e.name.endsWith(".map")) found.push(path.relative(root, full));
      else if (e.name.endsWith(".js") && fs.readFileSync(full, "utf8").includes("//# sourceMappingURL="))
        found.push(`${path.relative(root, full)} (sourceMappingURL)`);
    }
  };
  walk(root);
  return found;
}

module.exports = { sourceMapsIn };
