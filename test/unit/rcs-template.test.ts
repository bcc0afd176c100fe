/**
 * The payload template of custom RCS vendors: escape-safe, one-pass substitution inside JSON strings,
 * and the problems reported for unusable templates.
 */
import { randomInt } from "node:crypto";
import { PayloadTemplateError, renderPayload, templateProblems } from "../../net/vendor/template";

const TEMPLATE = '{"to":"{{toNumber}}","from":"{{fromNumber}}","body":"{{message}}"}';
const values = (message: string) => ({ fromNumber: "+14155550100", toNumber: "+14155550199", message });

const NASTY = [
  'She said "hi" \\ then left',
  "C:\\path\\to\\file\\",
  "line one\nline two\r\nline three\ttabbed",
  'ends with a backslash and quote \\"',
  "unicode: héllo ✓ 你好 👋🏽 \u2028\u2029 \u0000 \u001f",
  "{{toNumber}} {{fromNumber}} {{message}} must stay literal",
  "replacement patterns $& $1 $$ $' $` stay literal",
  '"}],"injected":true,"x":["',
  "\ud800 lone surrogate",
];

describe("renderPayload", () => {
  it("substitutes the three placeholders and returns JSON", () => {
    const out = renderPayload(TEMPLATE, values("Hello"));
    expect(JSON.parse(out)).toEqual({ to: "+14155550199", from: "+14155550100", body: "Hello" });
  });

  it.each(NASTY)("keeps a hostile message exact and the JSON valid: %j", (message) => {
    const out = renderPayload(TEMPLATE, values(message));
    const parsed = JSON.parse(out) as Record<string, unknown>;
    expect(parsed["body"]).toBe(message);
    expect(Object.keys(parsed)).toEqual(["to", "from", "body"]);
    expect(parsed["to"]).toBe("+14155550199");
  });

  it("substitutes placeholders among other text, several in one string, and in keys", () => {
    const template = JSON.stringify({
      "{{toNumber}}": { text: "Hi {{message}}! (from {{fromNumber}} to {{toNumber}})" },
      list: ["{{message}}", "{{message}}{{message}}"],
    });
    const out = JSON.parse(renderPayload(template, values('a "b"'))) as Record<string, unknown>;
    expect(out).toEqual({
      "+14155550199": { text: 'Hi a "b"! (from +14155550100 to +14155550199)' },
      list: ['a "b"', 'a "b"a "b"'],
    });
  });

  it("substitutes in one pass: a value holding a placeholder is not expanded again, in any order", () => {
    const v = {
      fromNumber: "F{{toNumber}}{{message}}{{fromNumber}}",
      toNumber: "T{{fromNumber}}{{message}}{{toNumber}}",
      message: "M{{fromNumber}}{{toNumber}}{{message}}",
    };
    const out = JSON.parse(
      renderPayload(
        '{"a":"{{fromNumber}}|{{toNumber}}|{{message}}","b":"{{message}}|{{toNumber}}|{{fromNumber}}"}',
        v,
      ),
    ) as { a: string; b: string };
    expect(out.a).toBe(`${v.fromNumber}|${v.toNumber}|${v.message}`);
    expect(out.b).toBe(`${v.message}|${v.toNumber}|${v.fromNumber}`);
  });

  it("keeps everything outside the changed strings byte for byte", () => {
    const template = `{
  "id": 12345678901234567890,
  "ratio": 1.50,
  "accent": "caf\\u00e9",
  "flags": [true, false, null],
  "body": "{{message}}",
  "to": "{{toNumber}}", "from": "{{fromNumber}}"
}`;
    const out = renderPayload(template, values("x"));
    expect(out).toBe(
      template
        .replace('"{{message}}"', '"x"')
        .replace('"{{toNumber}}"', '"+14155550199"')
        .replace('"{{fromNumber}}"', '"+14155550100"'),
    );
    expect(out).toContain("12345678901234567890");
    expect(out).toContain('"caf\\u00e9"');
  });

  it("matches placeholders on the decoded string, escaped strings included", () => {
    const out = JSON.parse(
      renderPayload('{"a":"\\u007b\\u007bmessage}}","b":"say \\"{{message}}\\""}', values("hi")),
    );
    expect(out).toEqual({ a: "hi", b: 'say "hi"' });
  });

  it("works with a template that is a bare string or array", () => {
    expect(JSON.parse(renderPayload('"{{message}}"', values('q"\\')))).toBe('q"\\');
    expect(JSON.parse(renderPayload('["{{toNumber}}", 1]', values("")))).toEqual(["+14155550199", 1]);
  });

  it("stays valid for 300 random messages of arbitrary code points", () => {
    const pool = [
      '"',
      "\\",
      "\n",
      "\r",
      "\t",
      "\u0000",
      "\u007f",
      "{",
      "}",
      "{{message}}",
      "é",
      "😀",
      "\u2028",
      "/",
    ];
    for (let i = 0; i < 300; i++) {
      let message = "";
      const n = randomInt(0, 40);
      for (let j = 0; j < n; j++) {
        message +=
          randomInt(0, 2) === 0
            ? pool[randomInt(0, pool.length)]!
            : String.fromCodePoint(randomInt(0, 0x10ffff));
      }
      const parsed = JSON.parse(renderPayload(TEMPLATE, values(message))) as { body: string };
      expect(parsed.body).toBe(message);
    }
  });

  it("throws a PayloadTemplateError for text that is not JSON, without the values", () => {
    const secretish = "do-not-echo-me";
    let caught: unknown;
    try {
      renderPayload('{"to": {{toNumber}}}', values(secretish));
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(PayloadTemplateError);
    expect((caught as Error).message).toMatch(/not JSON text/);
    expect((caught as Error).message).not.toContain(secretish);
  });
});

describe("templateProblems", () => {
  it("accepts a template that references every placeholder", () => {
    expect(templateProblems(TEMPLATE)).toEqual([]);
    expect(templateProblems('{"{{toNumber}}":{"from":"{{fromNumber}}","text":"Hi {{message}}"}}')).toEqual(
      [],
    );
  });

  it("reports text that is not JSON, e.g. a placeholder outside a string", () => {
    const problems = templateProblems('{"to": {{toNumber}}, "from":"{{fromNumber}}", "body":"{{message}}"}');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^must be JSON text with the placeholders inside strings/);
    expect(templateProblems("")).toHaveLength(1);
  });

  it("names every missing placeholder", () => {
    expect(templateProblems('{"to":"{{toNumber}}"}')).toEqual([
      "must reference {{fromNumber}}, {{message}} inside a JSON string",
    ]);
    expect(templateProblems("{}")).toEqual([
      "must reference {{fromNumber}}, {{toNumber}}, {{message}} inside a JSON string",
    ]);
  });

  it("finds placeholders written with JSON escapes, as renderPayload substitutes them", () => {
    expect(
      templateProblems(
        '{"to":"\\u007b\\u007btoNumber}}","from":"{{fromNumber}}","body":"{{message\\u007d}"}',
      ),
    ).toEqual([]);
  });

  it("does not count a misspelt or spaced placeholder", () => {
    expect(templateProblems('{"to":"{{toNumber}}","from":"{{fromNumber}}","body":"{{ message }}"}')).toEqual([
      "must reference {{message}} inside a JSON string",
    ]);
  });
});
