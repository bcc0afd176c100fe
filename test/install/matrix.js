#!/usr/bin/env node
// The install matrix: the package as a Pulumi user gets it. Packs this repository (`npm pack`, whose
// prepack builds dist/ and the policy pack), installs the tarball into fresh programs OUTSIDE the repo
// laid out as `pulumi new typescript` lays them out (Pulumi.yaml, package.json, tsconfig.json of the
// template, index.ts = the README's quick-start program), then:
//   - type-checks the program with TypeScript 3.8 (the copy @pulumi/pulumi vendors), 4.9, 5.x and 6.x;
//   - runs the README's deploy commands (`pulumi up`, `pulumi stack output`) against the Twilio emulator
//     on the embedded store (which must then hold the credential and the channel), then the rest of the
//     stack's life (test/install/lifecycle.js: a no-change preview, the policy pack, an in-place
//     update, a secret rotation, a rename, a sandbox change, their undo, a refresh, a destroy that
//     empties the store), both as `pulumi new typescript` writes the program (typescript 5 in its
//     devDependencies) and with NO typescript in it (Pulumi's bundled TypeScript 3.8, which rejects the
//     template's `module: nodenext`: that path gets the tsconfig.json the README gives for it);
//   - installs with npm 10 and npm 11 and checks what npm says of our package, and which better-sqlite3
//     npm picked from our range (12 on Node 20, 13 on Node 22 and 24), that it loads and runs a query;
//   - runs both ends of the @pulumi/pulumi peer range, and Node 22 / 24 (from ~/.cache, never the repo);
//   - on one variant, lives the same life on the shared store service started with the installed
//     package's own `pulumi-sms-channels-store serve` (PostgreSQL when SMSCHANNELS_TEST_PG_URL is set,
//     as in CI; else a SQLite file), with a token from its `token create`;
//   - finds no source map in the installed package (it ships no TypeScript sources to map to).
// Program folders live under $SMSCHANNELS_CACHE_DIR/install-matrix/<variant> and keep their
// node_modules between runs (better-sqlite3 compiles once per variant); `--fresh` starts them over.
//
//   node test/install/matrix.js [--only a,b] [--fresh] [--tarball file.tgz]
//
// Prints the matrix and writes it as JSON to <cache>/install-matrix/results.json. Exit 1 on a failure.
"use strict";
const { execFileSync, spawn, spawnSync } = require("node:child_process");
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { readmeBlocks } = require("./readme");
const { receiverJourney } = require("./receiver-journey");
const { afterDeploy, stackOutputs } = require("./lifecycle");
const { stackEnv } = require("./stack-env");
const { sourceMapsIn } = require("./source-maps");

const REPO = path.resolve(__dirname, "..", "..");
const CACHE = process.env.SMSCHANNELS_CACHE_DIR || path.join(os.homedir(), ".cache", "pulumi-sms-channels");
const ROOT = path.join(CACHE, "install-matrix");
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const option = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const only = option("--only")?.split(",");

/**
 * Variants: one program folder each. `betterSqlite3`: the major npm must pick from our
 * `^12.11.1 || ^13.2.0` on that Node (13 declares engines node >=22 and needs Node-API 10, so npm
 * falls back to 12 on Node 20; 12's ObjectWrap destructors abort on Node >= 24.19, nodejs/node#65446). `ts`: "template" is the program as `pulumi new typescript` writes
 * it (typescript ^5 in devDependencies, its tsconfig.json); "bundled" has no typescript, so Pulumi
 * compiles with its vendored TypeScript 3.8, under the README's tsconfig.json for that path.
 */
const VARIANTS = [
  // Node 20 with npm 11 (this machine's npm), @pulumi/pulumi 3.248 (the newest for Node 20).
  {
    name: "node20-npm11",
    node: "20",
    npm: "11",
    pulumi: "3.248.0",
    betterSqlite3: "12",
    ts: "template",
    typecheck: true,
    up: true,
    // and the same life again on the shared store service (deployOnService)
    service: true,
    // and the README's fuller program with the receiver the package ships (receiver-journey.js)
    receiver: true,
  },
  {
    name: "node20-npm10",
    node: "20",
    npm: "10",
    pulumi: "3.248.0",
    betterSqlite3: "12",
    ts: "bundled",
    up: false,
  },
  // The lowest @pulumi/pulumi of the peer range.
  {
    name: "node20-pulumi-low",
    node: "20",
    npm: "11",
    pulumi: "3.200.0",
    betterSqlite3: "12",
    ts: "bundled",
    up: true,
  },
  // The newest @pulumi/pulumi (needs Node 22) on Node 22 and 24.
  {
    name: "node22-pulumi-latest",
    node: "22",
    npm: "11",
    pulumi: "latest",
    betterSqlite3: "13",
    ts: "bundled",
    typecheck: true,
    up: true,
  },
  {
    name: "node24-pulumi-latest",
    node: "24",
    npm: "11",
    pulumi: "latest",
    betterSqlite3: "13",
    ts: "template",
    up: true,
  },
];

/** The tsconfig files every program folder holds; tsconfig.json is a copy of its variant's. */
const TSCONFIGS = {
  // byte for byte what `pulumi new typescript` writes (module/moduleResolution nodenext)
  template: "tsconfig.pulumi-new.json",
  // the README's tsconfig.json for a program without typescript (commonjs/node)
  bundled: "tsconfig.bundled-typescript.json",
};

function log(msg) {
  console.error(`[install-matrix] ${msg}`);
}

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, { encoding: "utf8", maxBuffer: 256 << 20, ...opts });
  if (r.error) throw r.error;
  return {
    code: r.status ?? 1,
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? "",
    output: (r.stdout ?? "") + (r.stderr ?? ""),
  };
}

/**
 * Where node-gyp finds a runtime's headers: the node@N package ships them in its platform package.
 * Set as npm_config_nodedir, since this machine's ~/.npmrc points nodedir at /usr (Node 20's headers),
 * which builds better-sqlite3 for the wrong ABI under Node 22 and 24.
 */
function nodeHeadersDir(binDir) {
  const pkgs = path.join(binDir, "..", "node", "node_modules");
  if (!fs.existsSync(pkgs)) return undefined;
  const found = fs
    .readdirSync(pkgs)
    .map((d) => path.join(pkgs, d))
    .find((d) => fs.existsSync(path.join(d, "include", "node")));
  return found;
}

/** A Node.js runtime: this machine's for 20, else `npm install node@N` in the cache (never in the repo). */
function nodeBinDir(major) {
  const current = process.versions.node.split(".")[0];
  if (major === current) return path.dirname(process.execPath);
  const dir = path.join(CACHE, `node-${major}`, "runtime");
  const bin = path.join(dir, "node_modules", ".bin");
  if (!fs.existsSync(path.join(bin, "node"))) {
    log(`installing node@${major} into ${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), '{"private":true}\n');
    const r = run("npm", ["install", "--no-audit", "--no-fund", `node@${major}`], { cwd: dir });
    if (r.code !== 0) throw new Error(`npm install node@${major}: ${r.output}`);
  }
  return bin;
}

/** TypeScript 4.9 / 5 / 6 for the type-check, installed apart from every program. */
function typescript(version) {
  const dir = path.join(CACHE, "typescript", version);
  const ts = path.join(dir, "node_modules", "typescript");
  if (!fs.existsSync(ts)) {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, "package.json"), '{"private":true}\n');
    const r = run("npm", ["install", "--no-audit", "--no-fund", `typescript@${version}`], { cwd: dir });
    if (r.code !== 0) throw new Error(`npm install typescript@${version}: ${r.output}`);
  }
  return ts;
}

function pack() {
  const given = option("--tarball") || process.env.SMSCHANNELS_TARBALL;
  if (given) return path.resolve(given);
  const dest = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-pack-"));
  log("npm pack (prepack builds dist/ and the policy pack)");
  const r = run("npm", ["pack", "--silent", "--pack-destination", dest], { cwd: REPO });
  if (r.code !== 0) throw new Error(`npm pack: ${r.output}`);
  return path.join(dest, r.stdout.trim().split("\n").pop());
}

/** The `pulumi new typescript` layout, with the README's quick-start program as index.ts. */
function writeProgram(dir, variant) {
  fs.mkdirSync(dir, { recursive: true });
  const template = path.join(__dirname, "template");
  fs.writeFileSync(
    path.join(dir, "Pulumi.yaml"),
    fs
      .readFileSync(path.join(template, "Pulumi.yaml"), "utf8")
      .replace("${PROJECT}", "quickstart")
      .replace("${DESCRIPTION}", "README quick start"),
  );
  const blocks = readmeBlocks(path.join(REPO, "README.md"));
  const bundledTsconfig = blocks.find((b) => b.kind === "json" && b.name === "tsconfig.json");
  if (!bundledTsconfig) throw new Error("README.md has no `<!-- readme-test: json tsconfig.json -->` block");
  fs.copyFileSync(path.join(template, "tsconfig.json"), path.join(dir, TSCONFIGS.template));
  fs.writeFileSync(path.join(dir, TSCONFIGS.bundled), bundledTsconfig.code);
  fs.copyFileSync(path.join(dir, TSCONFIGS[variant.ts]), path.join(dir, "tsconfig.json"));
  const program = blocks.find((b) => b.kind === "ts" && b.name === "index.ts");
  if (!program) throw new Error("README.md has no `<!-- readme-test: ts index.ts -->` program");
  fs.writeFileSync(path.join(dir, "index.ts"), program.code);
  // The template's package.json; without typescript, Pulumi compiles with its bundled TypeScript.
  const pkgFile = path.join(dir, "package.json");
  const kept = fs.existsSync(pkgFile) ? JSON.parse(fs.readFileSync(pkgFile, "utf8")) : {};
  const pkg = JSON.parse(fs.readFileSync(path.join(template, "package.json"), "utf8"));
  pkg.name = "quickstart";
  if (variant.ts === "bundled") delete pkg.devDependencies.typescript;
  // the tarball (added by npm install) stays; the SDK is the variant's
  pkg.dependencies = { ...(kept.dependencies || {}), "@pulumi/pulumi": variant.pulumi };
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + "\n");
}

function npmCommand(variant) {
  return variant.npm === "10" ? ["npx", ["--yes", "npm@10"]] : ["npm", []];
}

/**
 * The better-sqlite3 that pulumi-sms-channels resolves in the program, opened on the variant's Node
 * with a table written and read back (a bare require does not load the native module).
 */
const PROBE = `
  const ours = require.resolve("pulumi-sms-channels/package.json");
  const at = require.resolve("better-sqlite3/package.json", { paths: [ours] });
  const Database = require(require.resolve("better-sqlite3", { paths: [ours] }));
  const db = new Database(":memory:");
  db.exec("CREATE TABLE t (x INTEGER)");
  db.prepare("INSERT INTO t (x) VALUES (?)").run(41);
  const row = db.prepare("SELECT x + 1 AS y, sqlite_version() AS v FROM t").get();
  db.close();
  if (row.y !== 42) throw new Error("query returned " + JSON.stringify(row));
  console.log(JSON.stringify({ version: require(at).version, sqlite: row.v }));
`;

function probeBetterSqlite3(dir, env) {
  const r = run(path.join(env.NODE_BIN, "node"), ["-e", PROBE], { cwd: dir, env });
  if (r.code !== 0) return { ok: false, error: r.output.slice(-1000) };
  return { ok: true, ...JSON.parse(r.stdout.trim().split("\n").pop()) };
}

/**
 * A kept program folder whose lock predates our range (or was resolved on another Node) keeps the
 * better-sqlite3 it has: drop it and its lock entry so npm resolves the range as a new user's would.
 */
function forgetBetterSqlite3(dir) {
  const lockFile = path.join(dir, "package-lock.json");
  if (fs.existsSync(lockFile)) {
    const lock = JSON.parse(fs.readFileSync(lockFile, "utf8"));
    for (const key of Object.keys(lock.packages || {}))
      if (/(^|\/)node_modules\/better-sqlite3$/.test(key)) delete lock.packages[key];
    fs.writeFileSync(lockFile, JSON.stringify(lock, null, 2) + "\n");
  }
  for (const d of [
    "node_modules/better-sqlite3",
    "node_modules/pulumi-sms-channels/node_modules/better-sqlite3",
  ])
    fs.rmSync(path.join(dir, d), { recursive: true, force: true });
}

function install(dir, variant, tarball, env, fresh) {
  const [cmd, pre] = npmCommand(variant);
  const version = run(cmd, [...pre, "--version"], { cwd: dir, env }).stdout.trim();
  const t0 = Date.now();
  const npmInstall = () =>
    run(cmd, [...pre, "install", "--no-audit", "--no-fund", tarball, `@pulumi/pulumi@${variant.pulumi}`], {
      cwd: dir,
      env,
    });
  let r = npmInstall();
  let reresolved = false;
  if (
    !fresh &&
    r.code === 0 &&
    probeBetterSqlite3(dir, env).version?.split(".")[0] !== variant.betterSqlite3
  ) {
    log(
      `${variant.name}: kept better-sqlite3 is not the one npm picks for Node ${variant.node}, resolving it again`,
    );
    forgetBetterSqlite3(dir);
    r = npmInstall();
    reresolved = true;
  }
  const ms = Date.now() - t0;
  fs.writeFileSync(path.join(dir, "npm-install.log"), r.output);
  const ours = r.output
    .split("\n")
    .filter((l) => /pulumi-sms-channels/.test(l) && /script|allow|approve|prepare|warn/i.test(l));
  const scriptLines = r.output.split("\n").filter((l) => /script|allow|approve|rebuild/i.test(l));
  const loads = () => probeBetterSqlite3(dir, env).ok;
  let betterSqlite3Loads = loads();
  // Kept node_modules built by another Node major (an older run): rebuild it once for this ABI. A
  // fresh install gets no second chance: there a module that does not load is a finding.
  let rebuilt = false;
  if (!betterSqlite3Loads && !fresh) {
    log(`${variant.name}: better-sqlite3 built for another ABI, npm rebuild better-sqlite3`);
    rebuilt = run(cmd, [...pre, "rebuild", "better-sqlite3"], { cwd: dir, env }).code === 0;
    betterSqlite3Loads = loads();
  }
  const probe = probeBetterSqlite3(dir, env);
  return {
    npm: version,
    code: r.code,
    seconds: Math.round(ms / 1000),
    betterSqlite3Loads,
    rebuiltForAbi: rebuilt,
    reresolved,
    betterSqlite3: probe.version,
    betterSqlite3Expected: `${variant.betterSqlite3}.x`,
    betterSqlite3Ok: probe.ok && probe.version?.split(".")[0] === variant.betterSqlite3,
    sqlite: probe.sqlite,
    betterSqlite3Error: probe.error,
    linesAboutOurPackage: ours,
    linesAboutScripts: scriptLines.slice(0, 10),
    error: r.code === 0 ? undefined : r.output.slice(-2000),
  };
}

function typecheck(dir) {
  const out = {};
  for (const [kind, file] of Object.entries(TSCONFIGS)) out[kind] = typecheckWith(dir, file);
  return out;
}

function typecheckWith(dir, configName) {
  const versions = [
    [
      "3.8 (vendored by @pulumi/pulumi)",
      path.join(dir, "node_modules", "@pulumi", "pulumi", "vendor", "typescript@3.8.3", "typescript.js"),
    ],
    ["4.9", typescript("4.9")],
    ["5", typescript("5")],
    // What `npm install --save-dev typescript` gives today, on the path the README sends there.
    ["6", typescript("6")],
  ];
  const out = {};
  for (const [label, ts] of versions) {
    if (!fs.existsSync(ts)) {
      out[label] = { skipped: "no such TypeScript in this @pulumi/pulumi" };
      continue;
    }
    const r = run(process.execPath, [path.join(__dirname, "typecheck.js"), ts, dir, configName], {
      cwd: dir,
    });
    const res = JSON.parse(r.stdout.trim().split("\n").pop());
    let program = 0;
    let ours = 0;
    let others = 0;
    let options = 0;
    for (const [file, n] of Object.entries(res.byFile)) {
      if (file === "(options)") options += n;
      else if (file === "index.ts") program += n;
      else if (/node_modules[\\/]pulumi-sms-channels[\\/]/.test(file)) ours += n;
      else others += n;
    }
    out[label] = {
      version: res.version,
      total: res.errors,
      options,
      program,
      ours,
      others,
      zodFiles: res.zodFiles,
      first: res.first,
    };
  }
  return out;
}

/** The Twilio emulator as a process, seeded with one account and its number. */
async function startEmulator() {
  const seed = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-seed-")), "seed.json");
  fs.writeFileSync(
    seed,
    JSON.stringify({
      accounts: [{ friendlyName: "Quick start", incomingNumbers: ["+15005550006", "+15005550007"] }],
    }),
  );
  const child = spawn(
    path.join(REPO, "node_modules", ".bin", "tsx"),
    [
      path.join(REPO, "test", "twilio-emulator", "cli.ts"),
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--seed-file",
      seed,
      "--print-secrets",
    ],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const line = await new Promise((resolve, reject) => {
    let buf = "";
    child.stdout.on("data", (d) => {
      buf += d;
      const i = buf.indexOf("\n");
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.on("exit", (c) => reject(new Error(`twilio emulator exited (${c})`)));
  });
  const info = JSON.parse(line);
  const account = info.seed.accounts[0];
  return {
    child,
    url: info.url,
    sid: account.sid,
    token: account.authToken,
    number: "+15005550006",
    otherNumber: "+15005550007",
  };
}

/**
 * The README's deploy commands, as written, in the program folder; then the outputs it promises and
 * the rest of the stack's life (afterDeploy). `o.stackConfig`: more config to set first, each value
 * given on stdin, as a secret when `secret` (the store service's URL and token); `o.database`: the
 * store the stack must use (the embedded store's file unless given), whose records are counted.
 */
function deploy(dir, env, emulator, o = {}) {
  const stack = stackEnv(env, emulator);
  const backend = stack.backend;
  const e = {
    ...stack.env,
    TWILIO_ACCOUNT_SID: emulator.sid,
    TWILIO_AUTH_TOKEN: emulator.token,
    TWILIO_PHONE_NUMBER: emulator.number,
  };
  fs.rmSync(path.join(dir, ".smschannels"), { recursive: true, force: true });
  const t0 = Date.now();
  // A stack's settings live in Pulumi.dev.yaml in the program folder, which the matrix keeps between
  // runs: one left by the store-service run (smschannels:storeUrl) would send this one there.
  const stackFile = path.join(dir, "Pulumi.dev.yaml");
  fs.rmSync(stackFile, { force: true });
  const init = run("pulumi", ["stack", "init", "dev", "--non-interactive"], { cwd: dir, env: e });
  if (init.code !== 0) return { ok: false, error: init.output.slice(-2000) };
  for (const { key, value, secret } of o.stackConfig ?? []) {
    const argv = ["config", "set", ...(secret ? ["--secret"] : []), key, "--non-interactive"];
    const set = run("pulumi", argv, { cwd: dir, env: e, input: value });
    if (set.code !== 0) return { ok: false, error: `pulumi config set ${key}: ${set.output.slice(-1500)}` };
  }
  const block = readmeBlocks(path.join(REPO, "README.md")).find(
    (b) => b.kind === "sh" && b.name === "deploy",
  );
  const sh = run("bash", ["-euo", "pipefail", "-c", block.code], { cwd: dir, env: e });
  const outputs = stackOutputs(run, dir, e);
  const expected = ["credentialId", "twilioAccount", "secretFingerprint", "channelId", "channelStatus"];
  const missing = expected.filter((k) => outputs[k] === undefined || outputs[k] === "");
  const warnings = (sh.output.match(/warning: smschannels: [^\n]*/g) || []).length;
  const database = o.database ?? path.join(dir, ".smschannels", "store.db");
  const records = () => storeRecords(dir, e, database);
  // The credential and the channel, in the store this stack is meant to use (and so not elsewhere).
  const written = sh.code === 0 ? records() : undefined;
  const storeError =
    written === undefined || (Array.isArray(written) && written.length === 2)
      ? undefined
      : `after up: ${typeof written === "string" ? written : `the store holds ${JSON.stringify(written)}, expected 2 records`}`;
  const lifecycle =
    sh.code === 0 && !storeError
      ? afterDeploy({ dir, env: e, emulator, first: outputs, records, run, widenToken: o.widenToken })
      : [];
  if (!lifecycle.some((s) => s.step === "destroy" && s.ok))
    run("pulumi", ["destroy", "--yes", "--non-interactive"], { cwd: dir, env: e });
  fs.rmSync(backend, { recursive: true, force: true });
  fs.rmSync(stackFile, { force: true });
  const failedStep = lifecycle.find((s) => !s.ok);
  return {
    ok: sh.code === 0 && missing.length === 0 && !storeError && failedStep === undefined,
    seconds: Math.round((Date.now() - t0) / 1000),
    outputs: Object.keys(outputs),
    missing,
    keyFileWarnings: warnings,
    lifecycle: lifecycle.map((s) => `${s.step}: ${s.ok ? "ok" : "FAILED"}`),
    error:
      sh.code !== 0
        ? sh.output.slice(-3000)
        : storeError
          ? storeError
          : failedStep
            ? `${failedStep.step}: ${failedStep.error}`
            : undefined,
  };
}

/**
 * The same life on the shared store service (README, "The shared store service"), as a team runs it
 * with the installed package: its own `pulumi-sms-channels-store` serves a database of its own on
 * CI's PostgreSQL (SMSCHANNELS_TEST_PG_URL; a SQLite file where there is none), `token create` makes a
 * write + runtime token for the sandbox, and the stack points at the service with smschannels:storeUrl
 * and smschannels:storeToken (given on stdin, never on a command line). The service is where a review
 * once found an in-place update failing on every resource. The stack must leave no embedded store.
 */
async function deployOnService(dir, env, emulator) {
  const bin = path.join(dir, "node_modules", ".bin", "pulumi-sms-channels-store");
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "smschannels-service-"));
  const pgUrl = process.env.SMSCHANNELS_TEST_PG_URL;
  const dbName = `smsc_matrix_${process.pid}_${Date.now()}`;
  const admin = pgUrl ? new (require("pg").Client)({ connectionString: pgUrl }) : undefined;
  let database = path.join(work, "store.db");
  if (admin) {
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    const u = new URL(pgUrl);
    u.pathname = `/${dbName}`;
    database = u.toString();
  }
  const svcEnv = {
    ...env,
    SMSCHANNELS_STORE_DATABASE: database,
    SMSCHANNELS_STORE_KEY: require("node:crypto").randomBytes(32).toString("base64"),
  };
  const port = await freePort();
  const logFile = path.join(work, "service.log");
  const out = fs.openSync(logFile, "a");
  // Output to a file: this process blocks in spawnSync while pulumi runs, and a full pipe would stall the service.
  const service = spawn(bin, ["serve", "--listen", `127.0.0.1:${port}`], {
    env: svcEnv,
    stdio: ["ignore", out, out],
  });
  const result = { database: admin ? "postgresql" : "sqlite" };
  try {
    const url = `http://127.0.0.1:${port}`;
    if (!(await ready(`${url}/readyz`, 30_000)))
      return { ...result, ok: false, error: `the service did not get ready: ${tail(logFile)}` };
    const token = run(
      bin,
      ["token", "create", "--sandbox", "prod", "--scope", "write", "--scope", "runtime"],
      {
        env: svcEnv,
      },
    );
    if (token.code !== 0)
      return { ...result, ok: false, error: `token create: ${token.stderr.slice(-1500)}` };
    const r = deploy(dir, env, emulator, {
      stackConfig: [
        { key: "smschannels:storeUrl", value: url, secret: false },
        { key: "smschannels:storeToken", value: token.stdout.trim(), secret: true },
      ],
      database,
      // The sandbox change: the admin's answer to the preview that named smschannels:storeToken.
      widenToken: () => {
        const argv = ["token", "create", "--sandbox", "*", "--scope", "write", "--scope", "runtime"];
        const wide = run(bin, argv, { env: svcEnv });
        return wide.code === 0
          ? { token: wide.stdout.trim() }
          : { error: `token create: ${wide.stderr.slice(-1500)}` };
      },
    });
    if (fs.existsSync(path.join(dir, ".smschannels")))
      return {
        ...result,
        ...r,
        ok: false,
        error: "the stack on the service wrote an embedded store (.smschannels/)",
      };
    return { ...result, ...r };
  } finally {
    service.kill("SIGTERM");
    await new Promise((res) => (service.exitCode !== null ? res() : service.once("exit", res)));
    fs.closeSync(out);
    if (admin) {
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
      await admin.end();
    }
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = require("node:net").createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function ready(url, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

function tail(file) {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").slice(-1500) : "";
}

/**
 * The records in a store's database (a SQLite file or a postgres:// URL) as "sandbox/kind/name", read
 * in a separate process with the program's own Node.js and the drivers the package brought into its
 * node_modules; or an error.
 */
function storeRecords(dir, env, database) {
  const sql = "SELECT sandbox || '/' || kind || '/' || name AS r FROM records ORDER BY 1";
  const code = database.startsWith("postgres")
    ? 'const { Client } = require("pg"); const c = new Client({ connectionString: process.argv[1] });' +
      ` c.connect().then(() => c.query(process.argv[2]))` +
      ".then((r) => { console.log(JSON.stringify(r.rows.map((x) => x.r))); return c.end(); });"
    : 'const D = require("better-sqlite3"); const db = new D(process.argv[1], { readonly: true });' +
      " console.log(JSON.stringify(db.prepare(process.argv[2]).all().map((x) => x.r)));";
  const r = run(path.join(env.NODE_BIN, "node"), ["-e", code, database, sql], { cwd: dir, env });
  if (r.code !== 0)
    return `could not read the store ${database.startsWith("postgres") ? "database" : "file"}: ${r.output.slice(-1000)}`;
  return JSON.parse(r.stdout.trim());
}

async function main() {
  const started = Date.now();
  const tarball = pack();
  log(`tarball ${tarball}`);
  const pulumiBin = execFileSync("bash", [path.join(REPO, "scripts", "ensure-pulumi.sh")], {
    encoding: "utf8",
  })
    .trim()
    .split("\n")
    .pop();
  const results = {};
  let failed = false;
  const emulator = await startEmulator();
  try {
    for (const variant of VARIANTS) {
      if (only && !only.includes(variant.name)) continue;
      const t0 = Date.now();
      const dir = path.join(ROOT, variant.name);
      if (flag("--fresh")) fs.rmSync(dir, { recursive: true, force: true });
      const fresh = !fs.existsSync(path.join(dir, "node_modules"));
      log(`${variant.name}: ${fresh ? "fresh install" : "reinstall over the kept node_modules"}`);
      writeProgram(dir, variant);
      const nodeBin = nodeBinDir(variant.node);
      const env = { ...process.env, NODE_BIN: nodeBin, PATH: `${nodeBin}:${pulumiBin}:${process.env.PATH}` };
      delete env.npm_config_prefix;
      const headers = nodeHeadersDir(nodeBin);
      if (headers) env.npm_config_nodedir = headers;
      const r = {
        node: run(path.join(nodeBin, "node"), ["--version"]).stdout.trim(),
        pulumiSdk: variant.pulumi,
        fresh,
      };
      r.install = install(dir, variant, tarball, env, fresh);
      r.pulumiSdk = JSON.parse(
        fs.readFileSync(path.join(dir, "node_modules", "@pulumi", "pulumi", "package.json"), "utf8"),
      ).version;
      r.typescriptInProgram = fs.existsSync(path.join(dir, "node_modules", "typescript"));
      r.sourceMaps = sourceMapsIn(path.join(dir, "node_modules", "pulumi-sms-channels"));
      if (r.sourceMaps.length) failed = true;
      if (
        r.install.code !== 0 ||
        !r.install.betterSqlite3Loads ||
        !r.install.betterSqlite3Ok ||
        r.install.linesAboutOurPackage.length
      )
        failed = true;
      if (variant.typecheck) {
        r.typecheck = typecheck(dir);
        for (const [kind, byTs] of Object.entries(r.typecheck)) {
          for (const [label, t] of Object.entries(byTs)) {
            if (t.skipped) continue;
            const ts38 = label.startsWith("3.8");
            // TypeScript 3.8 rejects the template's nodenext options for any program (TS6046): the
            // README sends that path to its own tsconfig.json, so 3.8 × template is reported only.
            if (ts38 && kind === "template") continue;
            // Ours must be clean everywhere; TypeScript 3.8 is only run by Pulumi on the program's own
            // files (ts-node), where other packages' .d.ts (@types/node, grpc) are never reported.
            if (t.options || t.program || t.ours || t.zodFiles || (!ts38 && t.total)) failed = true;
          }
        }
      }
      if (variant.up) {
        r.up = deploy(dir, env, emulator);
        if (!r.up.ok) failed = true;
      }
      if (variant.service) {
        r.service = await deployOnService(dir, env, emulator);
        if (!r.service.ok) failed = true;
      }
      if (variant.receiver) {
        r.receiver = await receiverJourney(dir, env, emulator, { run, freePort, ready, tail });
        if (!r.receiver.ok) failed = true;
      }
      r.seconds = Math.round((Date.now() - t0) / 1000);
      results[variant.name] = r;
      log(`${variant.name}: ${JSON.stringify(r)}`);
    }
  } finally {
    emulator.child.kill("SIGTERM");
  }
  fs.mkdirSync(ROOT, { recursive: true });
  fs.writeFileSync(path.join(ROOT, "results.json"), JSON.stringify(results, null, 2));
  printTable(results);
  console.log(
    `install matrix took ${Math.round((Date.now() - started) / 1000)} s${failed ? ": FAILED" : ""}`,
  );
  process.exit(failed ? 1 : 0);
}

function betterSqlite3Cell(i) {
  const got = `${i.betterSqlite3 ?? "?"} (want ${i.betterSqlite3Expected}), SQLite ${i.sqlite ?? "?"}`;
  if (!i.betterSqlite3Loads) return `${got}: FAILS to load or query`;
  if (!i.betterSqlite3Ok) return `${got}: WRONG MAJOR`;
  return `${got}: query ok${i.rebuiltForAbi ? " (rebuilt)" : ""}`;
}

function printTable(results) {
  console.log(
    "variant | node | npm | @pulumi/pulumi | typescript in program | better-sqlite3 | npm lines on our package | source maps | up + outputs; no-change preview, policy pack, update, token rotation, rename, sandbox change, undo, refresh, destroy | the same on the store service | fuller program + receiver",
  );
  const life = (u) =>
    u
      ? u.ok
        ? `ok (${u.outputs.length} outputs, ${u.keyFileWarnings} warnings; ${u.lifecycle.length} later steps ok)`
        : "FAILED"
      : "-";
  for (const [name, r] of Object.entries(results)) {
    const service = r.service ? `${life(r.service)}, ${r.service.database}` : "-";
    const receiver = r.receiver
      ? r.receiver.ok
        ? `ok (${r.receiver.steps.length} steps, ${r.receiver.seconds} s)`
        : "FAILED"
      : "-";
    console.log(
      `${name} | ${r.node} | ${r.install.npm} | ${r.pulumiSdk} | ${r.typescriptInProgram ? "yes" : "no (bundled 3.8)"} | ${betterSqlite3Cell(r.install)} | ${r.install.linesAboutOurPackage.length} | ${r.sourceMaps.length} | ${life(r.up)} | ${service} | ${receiver}`,
    );
  }
  console.log("");
  console.log("tsconfig | TypeScript | errors: total (options/program/ours/others) | variant");
  for (const [name, r] of Object.entries(results)) {
    for (const [kind, byTs] of Object.entries(r.typecheck || {})) {
      for (const [label, t] of Object.entries(byTs)) {
        const counts = t.skipped ? "-" : `${t.total} (${t.options}/${t.program}/${t.ours}/${t.others})`;
        console.log(`${TSCONFIGS[kind]} | ${t.version || label} | ${counts} | ${name}`);
      }
    }
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
