// Type-checks a program folder with a given TypeScript (its typescript.js), under one of the folder's
// tsconfig files (default tsconfig.json), and prints one JSON line: {version, errors, zodFiles, byFile}.
// Used by the install matrix (test/install/matrix.js) for TypeScript 3.8 (the copy @pulumi/pulumi
// vendors, which has no tsc binary), 4.9 and 5.x alike. Option errors (TS6046: TypeScript 3.8 knows no
// `module: nodenext`) are counted under "(options)", as Pulumi's ts-node reports them before any file.
const path = require("node:path");
const [tsPath, dir, configName = "tsconfig.json"] = process.argv.slice(2);
const ts = require(tsPath);
const configFile = path.join(dir, configName);
const read = ts.readConfigFile(configFile, ts.sys.readFile);
// The config file's name sets the type roots (node_modules/@types above the program), not the cwd.
const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, dir, undefined, configFile);
const program = ts.createProgram(parsed.fileNames, parsed.options);
const diagnostics = [...parsed.errors, ...ts.getPreEmitDiagnostics(program)];
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
