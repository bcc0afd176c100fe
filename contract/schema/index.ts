/** The contract's zod schemas: field formats, keywords, and the store records' data. */
export * from "./fields";
export * from "./keywords";
export * from "./records";
