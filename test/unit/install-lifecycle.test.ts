/**
 * The install matrix's lifecycle (test/install/lifecycle.js) edits the README's quick-start program as a
 * user would for the rename, the sandbox change and the policy pack's violation. If the README's program changes shape, this says so
 * here, in seconds, instead of as a failed step 20 minutes into CI.
 */
import path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const { readmeBlocks } = require("../install/readme.js") as {
  readmeBlocks: (file: string) => { kind: string; name: string; code: string }[];
};
const { editProgram, rcsChannel } = require("../install/lifecycle.js") as {
  editProgram: (code: string, args: Record<string, Record<string, string>>) => string;
  rcsChannel: (code: string) => string;
};

const program = (): string => {
  const block = readmeBlocks(path.join(ROOT, "README.md")).find(
    (b) => b.kind === "ts" && b.name === "index.ts",
  );
  if (!block) throw new Error("README.md has no `<!-- readme-test: ts index.ts -->` block");
  return block.code;
};

test("the README's program takes a name and a sandbox on both of its resources", () => {
  const edited = editProgram(program(), {
    credential: { name: "twilio-sms-primary", sandbox: "staging" },
    channel: { name: "marketing-sms-primary", sandbox: "staging" },
  });
  expect(edited).toContain(
    'new SmsApiCredential("twilio-sms", {\n  name: "twilio-sms-primary",\n  sandbox: "staging",\n',
  );
  expect(edited).toContain(
    'new ChannelConfiguration("marketing-sms", {\n  name: "marketing-sms-primary",\n  sandbox: "staging",\n',
  );
  expect(edited.split("\n")).toHaveLength(program().split("\n").length + 4);
});

test("a program without the quick start's resources is refused by name, not edited silently", () => {
  const other = program().replace('new SmsApiCredential("twilio-sms"', 'new SmsApiCredential("sms"');
  expect(() => editProgram(other, { credential: { name: "x" } })).toThrow(
    /no longer has `new SmsApiCredential\("twilio-sms", \{`/,
  );
});

test("the README's channel can be made an RCS channel on the same credential, for the policy pack's violation", () => {
  const rcs = rcsChannel(program());
  expect(rcs).toContain('  channel: "rcs",\n  messageType: "marketing",\n  apiCredential: sms,\n');
  expect(rcs).not.toContain('channel: "sms"');
  expect(() => rcsChannel(rcs)).toThrow(/no longer has `channel: "sms",`/);
});
