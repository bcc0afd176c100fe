/**
 * How a custom vendor is authenticated, as the client needs it. The provider's zod schema
 * (provider/schema/customRcsCredential.ts) validates users' input into this shape; the store's
 * receiver reads it from a stored secret.
 */
export type VendorAuth =
  | { readonly type: "basic"; readonly username: string; readonly password: string }
  | { readonly type: "bearer"; readonly token: string }
  | { readonly type: "apiKey"; readonly name: string; readonly token: string }
  /** OAuth2 client credentials: `body` is the form body of the token request (it holds the client secret). */
  | { readonly type: "oauth2"; readonly tokenUrl: string; readonly body: string }
  | { readonly type: "none"; readonly mtls?: Mtls | undefined };

export interface Mtls {
  readonly cert: string;
  readonly key: string;
}

export type OAuth2Auth = Extract<VendorAuth, { type: "oauth2" }>;
