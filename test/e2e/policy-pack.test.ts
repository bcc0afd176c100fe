import fs from "node:fs";
import path from "node:path";
import { REPO_ROOT, TestStack } from "../support/pulumi";

/**
 * The policy pack as a pull request runs it: `pulumi preview --policy-pack policy-pack` with the real
 * CLI, on fixture programs of the real resources. Validation is off: the pack needs no Twilio, and
 * these stacks never reach it.
 */
const PACK = path.join(REPO_ROOT, "policy-pack");
const stacks: TestStack[] = [];
afterAll(() => stacks.forEach((s) => s.cleanup()));

async function preview(scenario: string, ...flags: string[]) {
  const s = await TestStack.create("policy-stack", {
    config: { "test:scenario": scenario, "smschannels:validation": "off" },
    secrets: { "test:authToken": "0".repeat(32) },
  });
  stacks.push(s);
  return { stack: s, result: await s.preview("--policy-pack", PACK, ...flags) };
}

test("an RCS channel on a Twilio SMS credential fails with the mandatory violation", async () => {
  const { result } = await preview("rcs-on-sms");
  expect(result.code).not.toBe(0);
  expect(result.output).toMatch(
    /sms-channels-policies@v0\.1\.0 \[mandatory\].*rcs-requires-custom-credential/,
  );
  expect(result.output).toContain('ChannelConfiguration "promo-rcs" has channel "rcs"');
  expect(result.output).toContain("Use a CustomRcsCredential");
});

test("an RCS channel on a custom credential passes", async () => {
  const { result } = await preview("rcs-on-custom");
  expect(result.code).toBe(0);
  expect(result.output).not.toContain("[mandatory]");
  expect(result.output).toMatch(/Policy Packs run:[\s\S]*sms-channels-policies\|local\|/);
});

test("the advisory shows as a warning and does not fail; a config that makes it mandatory fails", async () => {
  const { stack, result } = await preview("marketing-without-opt-out");
  expect(result.code).toBe(0);
  expect(result.output).toMatch(/sms-channels-policies@v0\.1\.0 \[advisory\].*marketing-channel-has-opt-out/);
  expect(result.output).toContain('"STOP"');

  const configFile = path.join(path.dirname(stack.dir), "policy-config.json");
  fs.writeFileSync(configFile, JSON.stringify({ "marketing-channel-has-opt-out": "mandatory" }));
  const strict = await stack.preview("--policy-pack", PACK, "--policy-pack-config", configFile);
  expect(strict.code).not.toBe(0);
  expect(strict.output).toMatch(
    /sms-channels-policies@v0\.1\.0 \[mandatory\].*marketing-channel-has-opt-out/,
  );

  // The CI example's config makes it mandatory and asks for more keywords.
  const ci = await stack.preview(
    "--policy-pack",
    PACK,
    "--policy-pack-config",
    path.join(REPO_ROOT, "examples", "ci", "policy-config.json"),
  );
  expect(ci.code).not.toBe(0);
  expect(ci.output).toMatch(/sms-channels-policies@v0\.1\.0 \[mandatory\].*marketing-channel-has-opt-out/);
});

test("a raw id string of a Twilio SMS credential on an RCS channel is still caught", async () => {
  const { result } = await preview("rcs-on-sms-raw-id");
  expect(result.code).not.toBe(0);
  expect(result.output).toMatch(
    /sms-channels-policies@v0\.1\.0 \[mandatory\].*rcs-requires-custom-credential/,
  );
  expect(result.output).toContain('uses the Twilio SMS credential SmsApiCredential "twilio-sms"');
});
