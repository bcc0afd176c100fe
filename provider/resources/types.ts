export const TYPE_PREFIX = "pulumi-nodejs:dynamic/smschannels:";

export const DYNAMIC_MODULE = "smschannels";
