/** PLANTLINK_SENTINEL_VALUES: -9999 unless set, empty for none, and a bad value named at start-up. */
import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config.ts";

describe("PLANTLINK_SENTINEL_VALUES", () => {
  it("defaults to -9999, in hundredths", () => {
    expect(loadConfig({}).sentinels).toEqual([-999_900]);
  });

  it("takes a comma-separated list, and empty for none", () => {
    expect(loadConfig({ PLANTLINK_SENTINEL_VALUES: "-9999, -8888.5,0.01" }).sentinels).toEqual([
      -999_900, -888_850, 1,
    ]);
    expect(loadConfig({ PLANTLINK_SENTINEL_VALUES: "" }).sentinels).toEqual([]);
  });

  it("refuses what is not a number, naming the variable", () => {
    expect(() => loadConfig({ PLANTLINK_SENTINEL_VALUES: "-9999,n/a" })).toThrow(
      /PLANTLINK_SENTINEL_VALUES.*"n\/a" is not a number/s,
    );
  });
});
