import v8 from "node:v8";

/**
 * The V8 flags this module sets in the provider process (exported for its test). `--liftoff-only`
 * alone is enough on the command line, where V8 derives `--no-wasm-tier-up` and
 * `--no-wasm-dynamic-tiering` from it; set at run time, V8 13.6 (Node.js 24) derives nothing and
 * TurboFan still recompiles llhttp (peak RSS +23–27 MiB for 200 requests, against 8–10 MiB with all
 * three; Node.js 20 and 22 honour either form).
 */
export const WASM_FLAG = "--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering";

/*
 * undici parses HTTP with llhttp compiled to WebAssembly. V8 compiles it first with its baseline
 * compiler (Liftoff) and then recompiles the hot functions with TurboFan on background threads;
 * that recompilation's working memory was most of the ~30 MiB of provider RSS that appeared with
 * the first Twilio requests and did not go away (a process making 200 requests through undici
 * peaked at 96–102 MiB RSS; with Liftoff only at 65–66 MiB; through node:http at 51 MiB). The
 * provider sends a handful of requests per distinct credential, so TurboFan's faster parser never
 * pays for itself. undici compiles llhttp at its first request, after this runs: the handlers
 * import this module first. The flag only changes how fast WebAssembly runs, never what it does,
 * so other dynamic providers sharing the process are unaffected in behaviour.
 */
v8.setFlagsFromString(WASM_FLAG);
