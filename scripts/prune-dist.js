// Removes from dist/ what no source builds any more. tsc only adds and overwrites, so a module deleted
// or renamed in the sources would stay in dist/ and ship in the next `npm pack` from that checkout (a
// stale copy of old code, still requirable by its old path). Deleting only orphans, rather than the
// whole of dist/ before a build, keeps dist/ usable by processes that run from it meanwhile (the tests'
// store service and receiver, while a packing test rebuilds).
const fs = require("node:fs");
const path = require("node:path");

// What a source builds. Source maps are not among them (build-dist.sh says why): a map left from an
// older build is removed like any orphan, so it cannot ship.
const OUTPUTS = [".d.ts", ".js"];

/** The orphans under `<root>/dist`, removed (unless `dryRun`); returns their paths relative to root. */
function pruneDist(root = path.resolve(__dirname, ".."), { dryRun = false } = {}) {
  const dist = path.join(root, "dist");
  const removed = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        walk(full);
        if (!dryRun && fs.readdirSync(full).length === 0) fs.rmdirSync(full);
        continue;
      }
      const suffix = OUTPUTS.find((s) => entry.name.endsWith(s));
      const rel = path.relative(dist, full);
      const source = suffix && path.join(root, rel.slice(0, -suffix.length) + ".ts");
      if (source && fs.existsSync(source)) continue;
      if (!dryRun) fs.rmSync(full, { force: true });
      removed.push(path.relative(root, full));
    }
  };
  if (fs.existsSync(dist)) walk(dist);
  return removed;
}

module.exports = { pruneDist };
if (require.main === module) {
  const removed = pruneDist();
  if (removed.length > 0)
    console.error(`[build] removed from dist/, built by no source: ${removed.join(", ")}`);
}
