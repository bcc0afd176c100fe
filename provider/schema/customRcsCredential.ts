import { z } from "zod";
import { commonInputs, messagingServiceSid, secretString, validationMode, verifyConnection } from "./common";
import { templateProblems } from "../../net/vendor/template";
import { vendorUrl } from "../../contract/schema/fields";

/** https anywhere; http only on loopback hosts (a local emulator or relay). */
export const providerUrl = vendorUrl;

const pem = (what: string) =>
  z
    .string({ error: "must be a string" })
    .regex(/-----BEGIN [A-Z0-9 ]+-----[\s\S]+-----END [A-Z0-9 ]+-----/, `must be a PEM-encoded ${what}`);

export const customAuth = z.discriminatedUnion(
  "type",
  [
    z
      .object({
        type: z.literal("basic"),
        username: z.string({ error: "must be a string" }).min(1, "must not be empty"),
        password: secretString,
      })
      .strict(),
    z.object({ type: z.literal("bearer"), token: secretString }).strict(),
    z
      .object({
        type: z.literal("apiKey"),
        name: z
          .string({ error: "must be a string" })
          .regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, "must be an HTTP header name, e.g. X-Api-Key"),
        token: secretString,
      })
      .strict(),
    z
      .object({
        type: z.literal("oauth2"),
        tokenUrl: providerUrl,
        /** The form body of the client-credentials token request (it holds the client secret). */
        body: secretString,
      })
      .strict(),
    z
      .object({
        type: z.literal("none"),
        mtls: z
          .object({ cert: pem("certificate"), key: pem("private key") })
          .strict()
          .optional(),
      })
      .strict(),
  ],
  { error: 'must be an object whose `type` is "basic", "bearer", "apiKey", "oauth2" or "none"' },
);
export type CustomAuth = z.infer<typeof customAuth>;

/** JSON text that references each placeholder inside its strings (the renderer's own rules). */
export const payloadTemplate = z.string({ error: "must be a string" }).superRefine((s, ctx) => {
  for (const message of templateProblems(s)) ctx.addIssue({ code: "custom", message });
});

const FORBIDDEN_HEADERS = new Set([
  "content-type",
  "content-length",
  "host",
  "transfer-encoding",
  "connection",
]);

export const customRcsCredentialInputs = z
  .object({
    ...commonInputs,
    providerName: z
      .string({ error: "must be a string" })
      .min(1, "must not be empty")
      .max(100, "must be at most 100 characters"),
    providerAppId: z.string({ error: "must be a string" }).min(1, "must not be empty").optional(),
    providerUrl,
    auth: customAuth,
    headers: z
      .record(z.string(), z.string({ error: "must be a string" }))
      .superRefine((h, ctx) => {
        for (const name of Object.keys(h)) {
          if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
            ctx.addIssue({ code: "custom", path: [name], message: "is not a valid HTTP header name" });
          } else if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
            ctx.addIssue({
              code: "custom",
              path: [name],
              message: "is set by the provider (Content-Type is always application/json); remove it",
            });
          }
        }
      })
      .optional(),
    payloadTemplate,
    messagingServiceSid: messagingServiceSid.optional(),
    verifyConnection: verifyConnection
      .extend({
        /** The `{{fromNumber}}` of the sample message. */
        from: z.string({ error: "must be a string" }).min(1, "must not be empty").optional(),
      })
      .strict()
      .optional(),
    validation: validationMode.optional(),
  })
  .strict();

export type CustomRcsCredentialInputs = z.infer<typeof customRcsCredentialInputs>;
