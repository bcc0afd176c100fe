// The README's runnable snippets: a fenced block right after `<!-- readme-test: <kind> <name> -->`
// (kind `sh`, `ts` or `json`). test/install/matrix.js runs them as written in a fresh program folder.
"use strict";
const fs = require("node:fs");

function readmeBlocks(file) {
  const text = fs.readFileSync(file, "utf8");
  const re = /<!-- readme-test: (\w+) ([^\s]+) -->\n```(\w+)\n([\s\S]*?)\n```/g;
  const blocks = [];
  for (let m = re.exec(text); m; m = re.exec(text)) {
    blocks.push({ kind: m[1], name: m[2], lang: m[3], code: m[4] + "\n" });
  }
  return blocks;
}

module.exports = { readmeBlocks };
