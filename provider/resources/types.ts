export { DYNAMIC_MODULE, TYPE_PREFIX, TYPES } from "../../contract/tokens";
export { DEFAULT_SANDBOX } from "../../contract/defaults";
