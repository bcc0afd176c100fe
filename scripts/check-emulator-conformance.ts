/**
 * Checks that the Twilio emulator answers with the shapes of Twilio's OpenAPI specs (twilio-oai).
 *
 *   npx tsx scripts/check-emulator-conformance.ts [--spec-dir DIR] [--strict]
 *
 * Starts the emulator, seeds it, calls every success endpoint it emulates and validates each JSON
 * answer against the response schema of the matching operation (path template + method →
 * responses[status].content["application/json"].schema, `$ref`s resolved in components.schemas,
 * OpenAPI 3.0 `nullable` turned into JSON-schema type unions, `x-*` extensions dropped). Error answers
 * are checked against Twilio's error body. Fields the schema lacks are reported as notes, or as
 * failures with `--strict` (additionalProperties false).
 *
 * The spec folder comes from `--spec-dir`, else `TWILIO_OAI_DIR`, else `../shared/twilio-oai` from the
 * repository root. Exit codes: 0 all passed, 1 a check failed, 2 the specs are missing.
 */
import fs from "node:fs";
import path from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import addFormats from "ajv-formats";
import { TwilioEmulator } from "../test/twilio-emulator";

const SPEC_FILES = ["twilio_api_v2010.json", "twilio_messaging_v1.json", "twilio_messaging_v2.json"] as const;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Spec {
  readonly file: string;
  readonly doc: JsonObject;
}

function isObject(v: Json | undefined): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

// ---------------------------------------------------------------- arguments

interface Args {
  readonly specDir: string;
  readonly strict: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  let specDir = process.env["TWILIO_OAI_DIR"];
  let strict = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--strict") strict = true;
    else if (arg === "--spec-dir") specDir = argv[++i];
    else if (arg?.startsWith("--spec-dir=")) specDir = arg.slice("--spec-dir=".length);
    else {
      console.error(
        `unknown argument ${arg}\nusage: check-emulator-conformance.ts [--spec-dir DIR] [--strict]`,
      );
      process.exit(2);
    }
  }
  const repoRoot = path.resolve(__dirname, "..");
  return { specDir: path.resolve(repoRoot, specDir ?? "../shared/twilio-oai"), strict };
}

function loadSpecs(dir: string): Spec[] {
  const missing = SPEC_FILES.filter((f) => !fs.existsSync(path.join(dir, f)));
  if (missing.length > 0) {
    console.error(
      `Twilio OpenAPI specs not found: ${missing.join(", ")} missing in ${dir}.\n` +
        "Give the folder of twilio-oai's spec/json with --spec-dir or TWILIO_OAI_DIR. Conformance NOT checked.",
    );
    process.exit(2);
  }
  return SPEC_FILES.map((file) => ({
    file,
    doc: JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")) as JsonObject,
  }));
}

// ---------------------------------------------------------------- OpenAPI → JSON schema

/** Keywords that only document, which Ajv's strict mode would reject as unknown. */
const DROPPED_KEYWORDS = new Set([
  "example",
  "examples",
  "externalDocs",
  "xml",
  "discriminator",
  "deprecated",
]);

/**
 * Inlines `$ref`s to components.schemas, turns `nullable: true` into a type union (and adds null to
 * an enum), drops `x-*` extensions and documentation keywords. With `closed`, every object schema
 * that lists properties gets `additionalProperties: false`.
 */
function toJsonSchema(spec: Spec, schema: Json, closed: boolean, seen: readonly string[] = []): Json {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(spec, s, closed, seen));
  if (!isObject(schema)) return schema;
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const m = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (!m?.[1]) throw new Error(`${spec.file}: unsupported $ref ${ref}`);
    if (seen.includes(ref)) return {}; // a recursive schema: accept anything below the cycle
    const components = spec.doc["components"];
    const schemas = isObject(components) ? components["schemas"] : undefined;
    const target = isObject(schemas) ? schemas[m[1]] : undefined;
    if (target === undefined) throw new Error(`${spec.file}: $ref to a missing schema ${ref}`);
    return toJsonSchema(spec, target, closed, [...seen, ref]);
  }
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith("x-") || DROPPED_KEYWORDS.has(key) || key === "nullable") continue;
    if (key === "properties" && isObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, toJsonSchema(spec, v, closed, seen)]),
      );
    } else if (key === "items" || key === "additionalProperties" || key === "not") {
      out[key] = toJsonSchema(spec, value, closed, seen);
    } else if (key === "allOf" || key === "anyOf" || key === "oneOf") {
      out[key] = toJsonSchema(spec, value, closed, seen);
    } else {
      out[key] = value;
    }
  }
  if (schema["nullable"] === true) {
    const type = out["type"];
    if (typeof type === "string") out["type"] = [type, "null"];
    else if (Array.isArray(type) && !type.includes("null")) out["type"] = [...type, "null"];
    const en = out["enum"];
    if (Array.isArray(en) && !en.includes(null)) out["enum"] = [...en, null];
  }
  if (closed && isObject(out["properties"]) && out["additionalProperties"] === undefined) {
    out["additionalProperties"] = false;
  }
  return out;
}

/** The operation of a concrete path: the template whose literal segments match, most literal first. */
function findOperation(
  specs: readonly Spec[],
  method: string,
  concretePath: string,
): { spec: Spec; template: string; operation: JsonObject } | undefined {
  const candidates: Array<{ spec: Spec; template: string; operation: JsonObject; params: number }> = [];
  for (const spec of specs) {
    const paths = spec.doc["paths"];
    if (!isObject(paths)) continue;
    for (const [template, item] of Object.entries(paths)) {
      const re = new RegExp(
        `^${template
          .split(/(\{[^}]+\})/)
          .map((part) => (/^\{[^}]+\}$/.test(part) ? "[^/]+?" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("")}$`,
      );
      const operation = isObject(item) ? item[method.toLowerCase()] : undefined;
      if (re.test(concretePath) && isObject(operation)) {
        candidates.push({ spec, template, operation, params: (template.match(/\{/g) ?? []).length });
      }
    }
  }
  candidates.sort((a, b) => a.params - b.params);
  return candidates[0];
}

function responseSchema(operation: JsonObject, status: number): Json | undefined {
  const responses = operation["responses"];
  const response = isObject(responses) ? responses[String(status)] : undefined;
  const content = isObject(response) ? response["content"] : undefined;
  const json = isObject(content) ? content["application/json"] : undefined;
  return isObject(json) ? json["schema"] : undefined;
}

// ---------------------------------------------------------------- formats

const RFC2822 =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} [+-]\d{4}$/;

function makeAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, allowUnionTypes: true });
  addFormats(ajv);
  const absoluteUri = ajv.formats["uri"];
  // The 2010 API answers root-relative URIs ("/2010-04-01/Accounts/…") in fields the spec marks
  // `format: uri` (its own examples do), so a root-relative path is accepted besides absolute URIs.
  ajv.addFormat("uri", (s: string) => {
    if (/^\/[^\s]*$/.test(s)) return true;
    if (typeof absoluteUri === "function") return absoluteUri(s);
    if (absoluteUri instanceof RegExp) return absoluteUri.test(s);
    return /^[a-z][a-z0-9+.-]*:\S+$/i.test(s);
  });
  ajv.addFormat("date-time-rfc-2822", RFC2822);
  ajv.addFormat("phone-number", /^(\+[1-9]\d{1,14}|(rcs|whatsapp|messenger):\S+|[A-Za-z0-9 ]{1,11})$/);
  ajv.addFormat("http-method", /^(GET|POST|PUT|PATCH|DELETE|HEAD)$/);
  ajv.addFormat("currency", /^[A-Z]{3}$/);
  ajv.addFormat("iso-country-code", /^[A-Z]{2}$/);
  // Formats on objects, which Ajv applies to strings only: declared so strict mode knows them.
  ajv.addFormat("uri-map", true);
  ajv.addFormat("phone-number-capabilities", true);
  return ajv;
}

// ---------------------------------------------------------------- checks

interface Call {
  readonly name: string;
  readonly method: "GET" | "POST";
  readonly path: string;
  readonly auth: { readonly user: string; readonly password: string };
  readonly expectStatus: number;
  readonly form?: Record<string, string>;
  readonly json?: Record<string, string>;
}

const ERROR_SCHEMA = {
  type: "object",
  required: ["code", "message", "more_info", "status"],
  properties: {
    code: { type: "integer" },
    message: { type: "string" },
    more_info: { type: "string", format: "uri", pattern: "^https://www\\.twilio\\.com/docs/errors/\\d+$" },
    status: { type: "integer" },
    detail: { type: "string" },
  },
  additionalProperties: false,
} as const;

function describeErrors(errors: readonly ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath || "(root)";
    if (e.keyword === "additionalProperties") {
      const extra = (e.params as { additionalProperty?: string }).additionalProperty;
      return `${at}/${extra ?? "?"}: not in the schema`;
    }
    return `${at}: ${e.message ?? e.keyword}`;
  });
}

async function call(baseUrl: string, c: Call): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {
    Authorization: `Basic ${Buffer.from(`${c.auth.user}:${c.auth.password}`).toString("base64")}`,
    Accept: "application/json",
  };
  let body: string | undefined;
  if (c.form) {
    headers["Content-Type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(c.form).toString();
  } else if (c.json) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(c.json);
  }
  const res = await fetch(`${baseUrl}${c.path}`, {
    method: c.method,
    headers,
    ...(body !== undefined ? { body } : {}),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: res.status, body: parsed };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const specs = loadSpecs(args.specDir);
  const ajv = makeAjv();
  const emulator = await TwilioEmulator.start();
  let failures = 0;
  let notes = 0;
  let passes = 0;
  try {
    const account = emulator.addAccount({ friendlyName: "Conformance" });
    const mainKey = emulator.addApiKey(account.sid, "main");
    const standardKey = emulator.addApiKey(account.sid, "standard");
    for (const n of ["+15005550001", "+15005550002", "+15005550003"])
      emulator.addIncomingNumber(account.sid, n);
    const service = emulator.addService(account.sid, {
      friendlyName: "Conformance service",
      inboundRequestUrl: "https://example.com/inbound",
      statusCallback: "https://example.com/status",
      phoneNumbers: ["+15005550004", "+15005550005"],
      channelSenders: ["rcs:conformance_agent", "whatsapp:+15005550009"],
    });
    emulator.addSender(account.sid, "rcs:conformance_review", {
      status: "TWILIO_REVIEW",
      profileName: "Review",
    });
    const token = { user: account.sid, password: account.authToken };
    const key = { user: mainKey.sid, password: mainKey.secret };
    const std = { user: standardKey.sid, password: standardKey.secret };
    const acct = `/2010-04-01/Accounts/${account.sid}`;

    const calls: Call[] = [
      {
        name: "FetchAccount (auth token)",
        method: "GET",
        path: `${acct}.json`,
        auth: token,
        expectStatus: 200,
      },
      { name: "FetchAccount (main key)", method: "GET", path: `${acct}.json`, auth: key, expectStatus: 200 },
      {
        name: "ListIncomingPhoneNumber (page 0 of 3)",
        method: "GET",
        path: `${acct}/IncomingPhoneNumbers.json?PageSize=2`,
        auth: std,
        expectStatus: 200,
      },
      {
        name: "ListIncomingPhoneNumber (PhoneNumber filter)",
        method: "GET",
        path: `${acct}/IncomingPhoneNumbers.json?PhoneNumber=${encodeURIComponent("+15005550002")}`,
        auth: token,
        expectStatus: 200,
      },
      {
        name: "CreateMessage (form, From)",
        method: "POST",
        path: `${acct}/Messages.json`,
        auth: std,
        expectStatus: 201,
        form: { To: "+15558675310", From: "+15005550001", Body: "Conformance check" },
      },
      {
        name: "CreateMessage (JSON, MessagingServiceSid)",
        method: "POST",
        path: `${acct}/Messages.json`,
        auth: token,
        expectStatus: 201,
        json: { To: "+15558675310", MessagingServiceSid: service.sid, Body: "Conformance check ✓" },
      },
      { name: "ListMessage", method: "GET", path: `${acct}/Messages.json`, auth: token, expectStatus: 200 },
      {
        name: "FetchService",
        method: "GET",
        path: `/v1/Services/${service.sid}`,
        auth: std,
        expectStatus: 200,
      },
      {
        name: "UpdateService",
        method: "POST",
        path: `/v1/Services/${service.sid}`,
        auth: key,
        expectStatus: 200,
        form: {
          InboundRequestUrl: "https://example.com/new-inbound",
          StatusCallback: "",
          FriendlyName: "Renamed",
        },
      },
      {
        name: "ListPhoneNumber (v1)",
        method: "GET",
        path: `/v1/Services/${service.sid}/PhoneNumbers?PageSize=1`,
        auth: token,
        expectStatus: 200,
      },
      {
        name: "ListChannelSender (v1)",
        method: "GET",
        path: `/v1/Services/${service.sid}/ChannelSenders`,
        auth: token,
        expectStatus: 200,
      },
      {
        name: "ListChannelsSender (v2, Channel=rcs)",
        method: "GET",
        path: "/v2/Channels/Senders?Channel=rcs&PageSize=1",
        auth: token,
        expectStatus: 200,
      },
    ];
    const errorCalls: Call[] = [
      {
        name: "error: wrong auth token",
        method: "GET",
        path: `${acct}.json`,
        auth: { user: account.sid, password: "0".repeat(32) },
        expectStatus: 401,
      },
      {
        name: "error: unknown path",
        method: "GET",
        path: `${acct}/Nothing.json`,
        auth: token,
        expectStatus: 404,
      },
      {
        name: "error: CreateMessage without To",
        method: "POST",
        path: `${acct}/Messages.json`,
        auth: token,
        expectStatus: 400,
        form: { From: "+15005550001", Body: "x" },
      },
    ];

    const print = (ok: boolean, label: string, lines: readonly string[] = []): void => {
      console.log(`${ok ? "PASS" : "FAIL"}  ${label}`);
      for (const line of lines) console.log(`        ${line}`);
    };

    for (const c of calls) {
      const pathOnly = c.path.split("?")[0] ?? c.path;
      const op = findOperation(specs, c.method, pathOnly);
      const label = `${c.name}: ${c.method} ${op?.template ?? pathOnly}`;
      if (!op) {
        failures++;
        print(false, label, ["no operation in the specs matches this path and method"]);
        continue;
      }
      const rawSchema = responseSchema(op.operation, c.expectStatus);
      if (rawSchema === undefined) {
        failures++;
        print(false, label, [`${op.spec.file} specifies no JSON answer for ${c.expectStatus}`]);
        continue;
      }
      const res = await call(emulator.url, c);
      if (res.status !== c.expectStatus) {
        failures++;
        print(false, label, [
          `status ${res.status}, expected ${c.expectStatus}: ${JSON.stringify(res.body)}`,
        ]);
        continue;
      }
      const validate: ValidateFunction = ajv.compile(toJsonSchema(op.spec, rawSchema, false) as object);
      const closed: ValidateFunction = ajv.compile(toJsonSchema(op.spec, rawSchema, true) as object);
      const problems = validate(res.body) ? [] : describeErrors(validate.errors);
      const extras = closed(res.body)
        ? []
        : describeErrors(closed.errors?.filter((e) => e.keyword === "additionalProperties"));
      const failed = problems.length > 0 || (args.strict && extras.length > 0);
      if (failed) failures++;
      else passes++;
      if (!args.strict) notes += extras.length;
      print(!failed, `${label} → ${res.status} (${op.spec.file}, ${String(op.operation["operationId"])})`, [
        ...problems,
        ...extras.map((e) => (args.strict ? e : `note: ${e}`)),
      ]);
    }

    const validateError = ajv.compile(ERROR_SCHEMA);
    for (const c of errorCalls) {
      const res = await call(emulator.url, c);
      const body = res.body as { status?: unknown; code?: unknown };
      const problems = [
        ...(res.status === c.expectStatus ? [] : [`status ${res.status}, expected ${c.expectStatus}`]),
        ...(validateError(res.body) ? [] : describeErrors(validateError.errors)),
        ...(body.status === res.status ? [] : [`body status ${String(body.status)} is not the HTTP status`]),
      ];
      if (problems.length > 0) failures++;
      else passes++;
      print(
        problems.length === 0,
        `${c.name}: ${c.method} → ${res.status} code ${String(body.code)}`,
        problems,
      );
    }
  } finally {
    await emulator.stop();
  }
  const total = passes + failures;
  console.log(
    `\n${passes}/${total} checks passed${failures ? `, ${failures} failed` : ""}` +
      `${notes ? `; ${notes} field(s) outside the schemas (informative; --strict fails on them)` : ""}` +
      ` [specs: ${args.specDir}${args.strict ? ", strict" : ""}]`,
  );
  process.exit(failures > 0 ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
