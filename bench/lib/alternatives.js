// The in-process pub/sub libraries switchyard is measured beside, pinned in bench/package.json.
// Node imports this file as is; bench/pubsub.mjs bundles it with esbuild for the page.
export { default as mitt } from "mitt";
export { default as postal2 } from "postal2";
export * as postal3 from "postal";
