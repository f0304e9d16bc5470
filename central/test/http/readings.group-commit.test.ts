/**
 * POST /v1/readings under concurrency: many simultaneous requests share transactions (group commit),
 * each answered its own counts only after its readings are committed.
 */
import { describe, expect, it } from "vitest";
import { bearer, reading, startTestCentral } from "./test-central.ts";

const central = await startTestCentral();
const ingest = await central.tokenFor("ingest");

const send = (body: unknown) =>
  fetch(`${central.url}/v1/readings`, {
    method: "POST",
    headers: { ...bearer(ingest), "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });

describe("POST /v1/readings, many at once", () => {
  it("answers every request its exact counts and commits them in fewer transactions than requests", async () => {
    const requests = 150;
    // Request i sends its own reading and the one of request i - 1 again: a duplicate whoever wins.
    const answers = await Promise.all(
      Array.from({ length: requests }, async (_, i) => {
        const body = i === 0 ? [reading("G-0", 1)] : [reading(`G-${i}`, 1), reading(`G-${i - 1}`, 1)];
        const response = await send(body);
        expect(response.status).toBe(202);
        return (await response.json()) as { accepted: number; inserted: number; duplicates: number };
      }),
    );
    expect(answers.reduce((n, a) => n + a.accepted, 0)).toBe(2 * requests - 1);
    expect(answers.reduce((n, a) => n + a.inserted, 0)).toBe(requests);
    expect(answers.reduce((n, a) => n + a.duplicates, 0)).toBe(requests - 1);
    for (const answer of answers) expect(answer.inserted + answer.duplicates).toBe(answer.accepted);

    const [stored] = await central.db.sql<{ rows: number; transactions: number }[]>`
      select count(*)::int as rows, count(distinct xmin::text)::int as transactions
      from readings where starts_with(equipment_id, 'G-')`;
    expect(stored?.rows).toBe(requests);
    expect(stored?.transactions).toBeLessThan(requests / 3);

    const metrics = await (await fetch(`${central.url}/metrics`)).text();
    const count = /^plantlink_central_ingest_group_requests_count (\d+)/m.exec(metrics)?.[1];
    const sum = /^plantlink_central_ingest_group_requests_sum (\d+)/m.exec(metrics)?.[1];
    expect(Number(sum)).toBe(requests);
    expect(Number(count)).toBeLessThan(requests / 3);
  });
});
