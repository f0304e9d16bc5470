// @ts-check
/**
 * The dashboard's only door to the server: the same /v1 API any client uses, authenticated by the
 * session cookie (same-origin requests carry it). A 401 means the session ended, so the page goes to
 * sign-in and comes back; any other failure becomes an Error whose message is the problem's detail.
 */

export class ApiError extends Error {
  /** @param {number} status @param {string} message */
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** @param {Response} response */
async function failure(response) {
  if (response.status === 401) {
    const here = location.pathname + location.search;
    location.assign(`/sign-in?next=${encodeURIComponent(here)}`);
  }
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = await response.json();
    if (problem && typeof problem.detail === "string") detail = problem.detail;
  } catch {
    // not a problem+json body: the status line is all there is to say
  }
  return new ApiError(response.status, detail);
}

/**
 * @param {string} path
 * @param {Record<string, string | number | readonly string[] | undefined>} [query]
 */
export function apiUrl(path, query = {}) {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const v of value) params.append(name, v);
    else params.set(name, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}

/**
 * @template T
 * @param {string} path
 * @param {Record<string, string | number | readonly string[] | undefined>} [query]
 * @returns {Promise<T>}
 */
export async function getJson(path, query) {
  const response = await fetch(apiUrl(path, query), {
    credentials: "same-origin",
    headers: { Accept: "application/json" },
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}

/**
 * The same, answering undefined for a 404 (a sensor without limits, a route this central lacks).
 * @template T
 * @param {string} path
 * @param {Record<string, string | number | readonly string[] | undefined>} [query]
 * @returns {Promise<T | undefined>}
 */
export async function getJsonOrNone(path, query) {
  try {
    return await getJson(path, query);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/**
 * A state-changing call (an admin's PUT). Same-origin fetch sends the cookie and the browser adds
 * Origin / Sec-Fetch-Site, which the server requires of a cookie-authenticated write.
 * @template T
 * @param {"PUT" | "POST"} method
 * @param {string} path
 * @param {unknown} body
 * @returns {Promise<T>}
 */
export async function sendJson(method, path, body) {
  const response = await fetch(path, {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw await failure(response);
  return response.json();
}
