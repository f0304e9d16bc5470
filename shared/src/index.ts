export * from "./batch.ts";
export * from "./config.ts";
export * from "./csv.ts";
export * from "./equipment-id.ts";
export * from "./problem.ts";
export * from "./reading.ts";
export * from "./timestamp.ts";
export * from "./value.ts";
