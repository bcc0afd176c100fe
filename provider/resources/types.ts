export { DYNAMIC_MODULE, TYPE_PREFIX } from "../../contract/tokens";
export { DEFAULT_SANDBOX } from "../../contract/defaults";
