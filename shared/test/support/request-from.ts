/**
 * One HTTP request from a chosen loopback address (127.0.0.2 …), so a test can play two clients that
 * a service tells apart by address, such as the failed-login throttle.
 */
import { type RequestOptions, request } from "node:http";

export interface AnswerFrom {
  status: number;
  retryAfter: string | undefined;
  body: string;
}

export function requestFrom(
  localAddress: string,
  options: Required<Pick<RequestOptions, "host" | "port" | "method" | "path" | "headers">>,
  body?: string,
): Promise<AnswerFrom> {
  return new Promise((resolve, reject) => {
    const req = request({ ...options, localAddress }, (res) => {
      let text = "";
      res.on("data", (chunk) => {
        text += chunk;
      });
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, retryAfter: res.headers["retry-after"], body: text }),
      );
    });
    req.on("error", reject);
    req.end(body);
  });
}
