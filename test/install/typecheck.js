// Type-checks a program folder with a given TypeScript (its typescript.js), under the folder's own
// tsconfig.json, and prints one JSON line: {version, errors, zodFiles, byFile}. Used by the install
// matrix (test/install/run.sh) for TypeScript 3.8 (the copy @pulumi/pulumi vendors, which has no tsc
// binary), 4.9 and 5.x alike. TypeScript 3.8 does not know `module: nodenext`: like Pulumi's runner,
// it then gets commonjs/node (see @pulumi/pulumi/cmd/run/run.js).
const path = require("node:path");
const [tsPath, dir] = process.argv.slice(2);
const ts = require(tsPath);
const configFile = path.join(dir, "tsconfig.json");
const read = ts.readConfigFile(configFile, ts.sys.readFile);
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir);
const options = parsed.options;
const major = Number(ts.version.split(".")[0]);
const minor = Number(ts.version.split(".")[1]);
if (major < 4 || (major === 4 && minor < 7)) {
  options.module = ts.ModuleKind.CommonJS;
  options.moduleResolution = ts.ModuleResolutionKind.NodeJs;
}
const program = ts.createProgram(parsed.fileNames, options);
const diagnostics = ts.getPreEmitDiagnostics(program);
const byFile = {};
for (const d of diagnostics) {
  const f = d.file ? path.relative(dir, d.file.fileName) : "(options)";
  byFile[f] = (byFile[f] || 0) + 1;
}
const zodFiles = program
  .getSourceFiles()
  .filter((f) => /[\\/]node_modules[\\/]zod[\\/]/.test(f.fileName)).length;
const first = diagnostics
  .slice(0, 5)
  .map(
    (d) =>
      `${d.file ? path.relative(dir, d.file.fileName) : ""} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, " ")}`,
  );
console.log(JSON.stringify({ version: ts.version, errors: diagnostics.length, zodFiles, byFile, first }));
