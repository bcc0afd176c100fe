import { describe, expect, it } from "@jest/globals";
import { UNKNOWN, findings, isUnknown, read, readArray, readPath } from "../policies/values";
import { UNKNOWN_ARRAY, UNKNOWN_OBJECT, UNKNOWN_STRING, asServerProps, collector } from "./helpers";

describe("reading properties", () => {
  const raw = {
    name: "promo",
    empty: null,
    later: UNKNOWN_STRING,
    nested: { optOut: { keywords: ["STOP", UNKNOWN_STRING] } },
    laterObject: UNKNOWN_OBJECT,
    laterArray: UNKNOWN_ARRAY,
  };

  it.each([
    ["plain object", raw],
    ["server proxy", asServerProps(raw)],
  ])("turns unknown values into UNKNOWN and null into undefined (%s)", (_label, props) => {
    expect(read(props, "name")).toBe("promo");
    expect(read(props, "empty")).toBeUndefined();
    expect(read(props, "missing")).toBeUndefined();
    expect(read(props, "later")).toBe(UNKNOWN);
    expect(readPath(props, ["nested", "optOut", "keywords", 0])).toBe("STOP");
    expect(readPath(props, ["nested", "optOut", "keywords", 1])).toBe(UNKNOWN);
    expect(readPath(props, ["laterObject", "optOut", "keywords"])).toBe(UNKNOWN);
    expect(readPath(props, ["missing", "optOut"])).toBeUndefined();
    expect(readArray(props, "laterArray")).toBe(UNKNOWN);
    expect(readArray(props, "name")).toBeNull();
    expect(readArray(readPath(props, ["nested", "optOut"]), "keywords")).toEqual(["STOP", UNKNOWN]);
  });

  it("lets the server proxy's unknown error through as UNKNOWN but rethrows other errors", () => {
    const props = asServerProps({ later: UNKNOWN_STRING });
    expect(() => (props as Record<string, unknown>)["later"]).toThrow(/can't be known during preview/);
    expect(read(props, "later")).toBe(UNKNOWN);
    const boom = new Proxy(
      {},
      {
        get: () => {
          throw new Error("boom");
        },
      },
    );
    expect(() => read(boom, "x")).toThrow("boom");
  });

  it("recognises every sentinel and nothing else", () => {
    expect(isUnknown(UNKNOWN_STRING)).toBe(true);
    expect(isUnknown(UNKNOWN_ARRAY)).toBe(true);
    expect(isUnknown(UNKNOWN)).toBe(true);
    expect(isUnknown("04da6b54-80e4-46f7-96ec-b56ff0331ba8")).toBe(false);
    expect(isUnknown(undefined)).toBe(false);
  });
});

describe("findings", () => {
  it("reports violations as plain messages and cannot-decide notes as advisory", () => {
    const { reportViolation, reported } = collector();
    const report = findings(reportViolation);
    report.violation("bad");
    report.violation("bad here", "urn:x");
    report.undecided("no idea", "urn:y");
    expect(reported).toEqual([
      { message: "bad", level: "policy" },
      { message: "bad here", urn: "urn:x", level: "policy" },
      { message: "cannot decide: no idea", urn: "urn:y", level: "advisory" },
    ]);
  });
});
