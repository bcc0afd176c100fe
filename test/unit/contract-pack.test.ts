/**
 * The policy pack carries a generated copy of contract/ (scripts/gen-pack-contract.js). These tests
 * fail when the copy and contract/ disagree, when the pack keeps a format of its own instead of the
 * contract's, and when the Pulumi SDKs' unknown-value sentinels move away from the contract's.
 */
import { describe, expect, it } from "@jest/globals";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as contract from "../../contract";
import * as packFormats from "../../policy-pack/policies/formats";
import * as packValues from "../../policy-pack/policies/values";
import * as packContract from "../../policy-pack/contract";

const root = path.resolve(__dirname, "../..");
const script = path.join(root, "scripts", "gen-pack-contract.js");

describe("the policy pack's copy of the contract", () => {
  it("is what the generator makes from contract/ (gen-pack-contract --check)", () => {
    expect(() => execFileSync(process.execPath, [script, "--check"], { stdio: "pipe" })).not.toThrow();
  });

  it("--check fails on a hand edit, and generating again restores the copy", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "pack-contract-"));
    try {
      execFileSync(process.execPath, [script, "--out", out]);
      const file = path.join(out, "defaults.ts");
      const original = fs.readFileSync(file, "utf8");
      expect(original).toContain("GENERATED");
      execFileSync(process.execPath, [script, "--check", "--out", out]);
      fs.writeFileSync(file, original.replace('"prod"', '"production"'));
      expect(() =>
        execFileSync(process.execPath, [script, "--check", "--out", out], { stdio: "pipe" }),
      ).toThrow();
      fs.writeFileSync(path.join(out, "extra.ts"), "export {};\n");
      execFileSync(process.execPath, [script, "--out", out]);
      expect(fs.readFileSync(file, "utf8")).toBe(original);
      expect(fs.existsSync(path.join(out, "extra.ts"))).toBe(false);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
  });

  it("exports the same formats, tokens and defaults as contract/", () => {
    for (const [name, value] of Object.entries(contract)) {
      const copy = (packContract as Record<string, unknown>)[name];
      if (value instanceof RegExp) expect([name, String(copy)]).toEqual([name, String(value)]);
      else if (typeof value === "function") expect([name, typeof copy]).toEqual([name, "function"]);
      else expect([name, copy]).toEqual([name, value]);
    }
    expect(Object.keys(packContract).sort()).toEqual(Object.keys(contract).sort());
  });

  it("the pack's policies use the contract's formats, not copies of their own", () => {
    expect(packFormats.E164).toBe(packContract.E164);
    expect(packFormats.SHORT_CODE).toBe(packContract.SHORT_CODE);
    expect(packFormats.ALPHANUMERIC_SENDER_ID).toBe(packContract.ALPHANUMERIC_SENDER);
    expect(packFormats.CHANNEL_NAME).toBe(packContract.CHANNEL_NAME);
    expect(packFormats.SUBDOMAIN).toBe(packContract.SUBDOMAIN);
    expect(packFormats.RESERVED_SUBDOMAINS).toBe(packContract.RESERVED_SUBDOMAINS);
    expect(packFormats.isLoopbackHost).toBe(packContract.isLoopbackHost);
    expect(packFormats.senderKind).toBe(packContract.senderKind);
    expect(packFormats.TYPES).toBe(packContract.TYPES);
    expect(packFormats.DEFAULT_SANDBOX).toBe(packContract.DEFAULT_SANDBOX);
    expect(packFormats.DEFAULT_OPT_OUT_KEYWORDS).toBe(packContract.DEFAULT_KEYWORDS.optOut.keywords);
    expect(packValues.UNKNOWN_SENTINELS).toBe(packContract.UNKNOWN_SENTINELS);
    // No regular expression of its own in the pack's formats module beyond the suggestion helpers.
    const source = fs.readFileSync(path.join(root, "policy-pack", "policies", "formats.ts"), "utf8");
    expect(source).not.toMatch(/export const [A-Z_]+ = \//);
  });
});

describe("the unknown-value sentinels", () => {
  it("are the ones both Pulumi SDKs use", () => {
    const rpc = require("@pulumi/pulumi/runtime/rpc") as { unknownValue: string };
    expect(contract.UNKNOWN_STRING).toBe(rpc.unknownValue);
    const proxy = require("@pulumi/policy/proxy") as Record<string, unknown>;
    const sdkSentinels = Object.entries(proxy)
      .filter(([k, v]) => /^unknown[A-Z]\w*Value$/.test(k) && typeof v === "string")
      .map(([, v]) => v as string);
    expect(sdkSentinels.length).toBe(7);
    expect([...contract.UNKNOWN_SENTINELS].sort()).toEqual([...new Set(sdkSentinels)].sort());
  });
});
