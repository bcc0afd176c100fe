/** What the build (scripts/build-dist.sh, run by `npm test`, `npm run demo` and `npm pack`) leaves in dist/. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const { pruneDist } = require("../../scripts/prune-dist.js") as {
  pruneDist: (root: string, options?: { dryRun: boolean }) => string[];
};
const { sourceMapsIn } = require("../install/source-maps.js") as {
  sourceMapsIn: (root: string) => string[];
};

// `npx pulumi-sms-channels-store` in a checkout runs the file itself, through a link npm made once in
// its npx cache: if a rebuilt file is not executable, the command printed by the provider's 403 error
// fails with "Permission denied".
test("package.json's bin files are built executable, with a node shebang", () => {
  const bins = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
      bin: Record<string, string>;
    }
  ).bin;
  expect(Object.keys(bins)).toEqual(["pulumi-sms-channels-store"]);
  for (const file of Object.values(bins)) {
    const full = path.join(ROOT, file);
    expect(() => fs.accessSync(full, fs.constants.X_OK)).not.toThrow();
    expect(fs.readFileSync(full, "utf8").split("\n")[0]).toBe("#!/usr/bin/env node");
  }
});

test("dist/ keeps what a source builds and loses what none does (a deleted module, a source map)", () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "smsc-prune-"));
  try {
    const write = (rel: string): void => {
      fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
      fs.writeFileSync(path.join(root, rel), "x");
    };
    write("store/kept.ts");
    const built = ["kept.js", "kept.d.ts"].map((f) => `dist/store/${f}`);
    // Source maps are built by nothing any more (scripts/build-dist.sh): an old build's go too.
    const orphans = [
      "kept.js.map",
      "kept.d.ts.map",
      "gone.js",
      "gone.js.map",
      "gone.d.ts",
      "gone.d.ts.map",
      "old/only.js",
    ].map((f) => `dist/store/${f}`);
    for (const f of [...built, ...orphans]) write(f);

    expect(pruneDist(root).sort()).toEqual([...orphans].sort());
    for (const f of built) expect(fs.existsSync(path.join(root, f))).toBe(true);
    for (const f of orphans) expect(fs.existsSync(path.join(root, f))).toBe(false);
    expect(fs.existsSync(path.join(root, "dist/store/old"))).toBe(false);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test("the real dist/, as the build left it, holds nothing that no source builds", () => {
  expect(pruneDist(ROOT, { dryRun: true })).toEqual([]);
});

// The package ships no TypeScript sources: a map would send a stack trace to files a user does not
// have. (The install matrix checks the packed package as installed, the policy pack's bin/ with it.)
test("the built JavaScript carries no source map and names none", () => {
  expect(sourceMapsIn(path.join(ROOT, "dist"))).toEqual([]);
});
