/**
 * A stand-in for central's POST /v1/edge/batches over real HTTP: it gunzips and records every batch,
 * and answers as the test's `answer` function says (default: central's behaviour — store each reading
 * identity once, answer a repeated batch id with its first answer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";
import type { EdgeBatch, IngestAnswer } from "@plantlink/shared";

export interface Received {
  batch: EdgeBatch;
  readings: { equipmentId: string; value: number; timestamp: string }[];
  authorization: string | undefined;
  encoding: string | undefined;
  wireBytes: number;
}

export type Reply =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Store, then cut the connection without answering: the response is lost after the commit. */
  | { drop: true }
  | { hang: true }
  /** Answer normally, after a while. */
  | { delayMs: number };

export interface FakeCentral {
  url: string;
  /** Every request, in arrival order, retries included. */
  requests: Received[];
  /** Identity → value, as central would hold them. */
  stored: Map<string, number>;
  answers: Map<string, IngestAnswer>;
  setAnswer(answer: ((received: Received, n: number) => Reply | undefined) | undefined): void;
  close(): Promise<void>;
}

export const identity = (r: { equipmentId: string; timestamp: string }) =>
  `${r.equipmentId}@${new Date(r.timestamp).getTime()}`;

export async function startFakeCentral(): Promise<FakeCentral> {
  const requests: Received[] = [];
  const stored = new Map<string, number>();
  const answers = new Map<string, IngestAnswer>();
  let custom: ((received: Received, n: number) => Reply | undefined) | undefined;

  const ingest = (received: Received): IngestAnswer => {
    const seen = answers.get(received.batch.batchId);
    if (seen) return seen;
    let inserted = 0;
    let duplicates = 0;
    for (const r of received.readings) {
      const key = identity(r);
      if (stored.has(key)) duplicates += 1;
      else {
        stored.set(key, r.value);
        inserted += 1;
      }
    }
    const answer = {
      received: received.readings.length,
      inserted,
      duplicates,
      conflicts: 0,
      setAside: 0,
      rejected: 0,
      errors: [],
    };
    answers.set(received.batch.batchId, answer);
    return answer;
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const wire = Buffer.concat(chunks);
    const batch = JSON.parse(gunzipSync(wire).toString("utf8")) as EdgeBatch;
    const received: Received = {
      batch,
      readings: batch.readings as Received["readings"],
      authorization: req.headers.authorization,
      encoding: req.headers["content-encoding"],
      wireBytes: wire.byteLength,
    };
    requests.push(received);
    const reply = custom?.(received, requests.length);
    if (reply && "hang" in reply) return; // the socket stays open until the client gives up
    if (reply && "delayMs" in reply) await new Promise((resolve) => setTimeout(resolve, reply.delayMs));
    if (reply && "drop" in reply) {
      ingest(received);
      req.socket.destroy();
      return;
    }
    if (reply && "status" in reply) {
      res.writeHead(reply.status, { "content-type": "application/json", ...reply.headers });
      res.end(JSON.stringify(reply.body ?? {}));
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(ingest(received)));
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500);
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stored,
    answers,
    setAnswer(answer) {
      custom = answer;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
