/**
 * The payload template of a custom RCS vendor: JSON text whose strings (keys or values) hold the
 * placeholders `{{fromNumber}}`, `{{toNumber}}` and `{{message}}`, e.g.
 * `{"to":"{{toNumber}}","from":"{{fromNumber}}","content":{"text":"Hi {{message}}"}}`.
 *
 * Rendering is escape-safe: the substitution happens on the decoded value of each JSON string and the
 * result is encoded again with JSON.stringify, so a message holding quotes, backslashes, newlines or
 * any Unicode still gives valid JSON that decodes to the exact message. Substitution is one pass: a
 * value that itself holds `{{toNumber}}` is never expanded again. Everything outside the strings that
 * change (numbers, whitespace, key order, other strings) is kept byte for byte.
 */

export const PLACEHOLDERS = ["{{fromNumber}}", "{{toNumber}}", "{{message}}"] as const;

export interface TemplateValues {
  readonly fromNumber: string;
  readonly toNumber: string;
  readonly message: string;
}

const PLACEHOLDER = /\{\{(fromNumber|toNumber|message)\}\}/g;

const EXAMPLE = '{"to":"{{toNumber}}","from":"{{fromNumber}}","body":"{{message}}"}';

/** The template is not JSON text. Carries the parser's message, never the values. */
export class PayloadTemplateError extends Error {
  override readonly name = "PayloadTemplateError";
}

/**
 * The [start, end) offsets of every string literal (keys included) in `json`, which must already be
 * known to be valid JSON: outside a string a `"` can only open one, and inside a string a backslash
 * always escapes the next character.
 */
function stringLiterals(json: string): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  let i = 0;
  while (i < json.length) {
    if (json.charCodeAt(i) !== 0x22 /* " */) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < json.length && json.charCodeAt(j) !== 0x22) j += json.charCodeAt(j) === 0x5c /* \ */ ? 2 : 1;
    out.push([i, j + 1]);
    i = j + 1;
  }
  return out;
}

function parseError(template: string): string | undefined {
  try {
    JSON.parse(template);
    return undefined;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

/**
 * What is wrong with a template, as reasons that follow a property name ("payloadTemplate must …"):
 * not JSON text, or a placeholder that no JSON string references. Empty when it is usable.
 */
export function templateProblems(template: string): string[] {
  const error = parseError(template);
  if (error !== undefined) {
    return [`must be JSON text with the placeholders inside strings, e.g. ${EXAMPLE} (${error})`];
  }
  const found = new Set<string>();
  for (const [start, end] of stringLiterals(template)) {
    const value = JSON.parse(template.slice(start, end)) as string;
    for (const m of value.matchAll(PLACEHOLDER)) found.add(m[0]);
  }
  const missing = PLACEHOLDERS.filter((p) => !found.has(p));
  return missing.length > 0 ? [`must reference ${missing.join(", ")} inside a JSON string`] : [];
}

/**
 * Substitutes the values into every JSON string of the template and returns JSON text. Throws a
 * PayloadTemplateError when the template is not JSON; a missing placeholder is not an error here
 * (see templateProblems).
 */
export function renderPayload(template: string, values: TemplateValues): string {
  const error = parseError(template);
  if (error !== undefined) throw new PayloadTemplateError(`the payload template is not JSON text (${error})`);
  const byName: Record<string, string> = {
    fromNumber: values.fromNumber,
    toNumber: values.toNumber,
    message: values.message,
  };
  let out = "";
  let last = 0;
  for (const [start, end] of stringLiterals(template)) {
    const literal = template.slice(start, end);
    const decoded = JSON.parse(literal) as string;
    // One pass: the replacement function's results are never scanned again.
    const rendered = decoded.replace(PLACEHOLDER, (_m, name: string) => byName[name] ?? "");
    out += template.slice(last, start) + (rendered === decoded ? literal : JSON.stringify(rendered));
    last = end;
  }
  return out + template.slice(last);
}
