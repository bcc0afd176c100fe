import type { ResourceValidationPolicy } from "@pulumi/policy";
import { TYPES, isLoopbackHost, redactUrl } from "./formats";
import { UNKNOWN, findings, quote, read, readPath, type Findings } from "./values";

export const CUSTOM_CREDENTIAL_HTTPS = "custom-credential-https";

/**
 * A CustomRcsCredential sends secrets to its vendor: `providerUrl` (and an OAuth2 `auth.tokenUrl`) must be
 * https. Plain http is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost), for local emulators.
 * Messages show scheme, host and path only, never user info, query or any `auth` value.
 */
export const customCredentialHttps: ResourceValidationPolicy = {
  name: CUSTOM_CREDENTIAL_HTTPS,
  description: "Custom RCS credentials must reach their vendor over https (http only for loopback hosts).",
  enforcementLevel: "mandatory",
  severity: "high",
  remediationSteps:
    "Use the vendor's https:// URL. Plain http is accepted only for 127.0.0.0/8, ::1 and localhost (local " +
    "emulators). Put credentials in auth, never in the URL.",

  validateResource: (args, reportViolation) => {
    if (args.type !== TYPES.CustomRcsCredential) return;
    const report = findings(reportViolation);
    const name = read(args.props, "name");
    const label = `CustomRcsCredential ${quote(typeof name === "string" ? name : args.name)}`;
    checkUrl(report, label, "providerUrl", read(args.props, "providerUrl"));
    if (readPath(args.props, ["auth", "type"]) === "oauth2") {
      checkUrl(report, label, "auth.tokenUrl", readPath(args.props, ["auth", "tokenUrl"]));
    }
  },
};

function checkUrl(report: Findings, label: string, property: string, value: unknown): void {
  if (value === UNKNOWN || value === undefined) return;
  if (typeof value !== "string") {
    report.violation(`${label}: ${property} must be a string URL, not ${typeof value}.`);
    return;
  }
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    // The value may hold a credential by mistake: do not print it.
    report.violation(`${label}: ${property} is not an absolute URL; write it as https://host/path.`);
    return;
  }
  const shown = redactUrl(url);
  if (url.username !== "" || url.password !== "") {
    report.violation(
      `${label}: ${property} ${quote(shown)} carries a user name or password; move them into auth ` +
        `(e.g. { type: "basic", username, password }) and keep the URL free of credentials.`,
    );
  }
  if (url.protocol === "https:") return;
  if (url.protocol === "http:") {
    if (isLoopbackHost(url.hostname)) return;
    report.violation(
      `${label}: ${property} ${quote(shown)} uses plain http to ${quote(url.hostname)}, which would send ` +
        `the vendor credentials unencrypted. Use https://${url.host}${url.pathname} (plain http is ` +
        `accepted only for loopback hosts: 127.0.0.0/8, ::1, localhost).`,
    );
    return;
  }
  report.violation(`${label}: ${property} ${quote(shown)} must be an https:// URL, not ${url.protocol}.`);
}
