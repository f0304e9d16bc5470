/**
 * The `file` field of a multipart/form-data upload, as a stream (busboy), so a browser form or
 * `curl -F file=@readings.csv` is streamed like a text/csv body: busboy holds back the request while
 * the file stream is not read, so back-pressure reaches the socket the same way.
 */
import { pipeline, type Readable } from "node:stream";
import busboy from "busboy";
import { BackfillError } from "./errors.ts";

/** The form is not a usable multipart form, or has no `file` field. */
export class MultipartFormError extends BackfillError {
  readonly code = "multipart_form";
}

export interface FormFile {
  stream: Readable;
  /** The file name the client gave, if any. */
  fileName: string | undefined;
}

/** Resolves as soon as the `file` part begins; its bytes then flow as the stream is read. */
export function fileFromForm(contentType: string, body: Readable): Promise<FormFile> {
  return new Promise((resolve, reject) => {
    let form: busboy.Busboy;
    try {
      // Other fields are tiny text; a form that is anything else is not one of ours.
      form = busboy({
        headers: { "content-type": contentType },
        limits: { fields: 50, fieldSize: 65_536, parts: 100 },
      });
    } catch (error) {
      reject(new MultipartFormError(`the multipart form cannot be read: ${(error as Error).message}`));
      return;
    }
    let found = false;
    form.on("file", (name, stream, info) => {
      if (name !== "file" || found) {
        stream.resume(); // not the CSV: read past it
        return;
      }
      found = true;
      resolve({ stream, fileName: info.filename || undefined });
    });
    form.on("close", () => {
      if (!found) {
        reject(
          new MultipartFormError(
            'the multipart form has no field named "file"; send the CSV as -F file=@readings.csv',
          ),
        );
      }
    });
    // After the file part has begun, busboy hands a failure to the file stream (its reader sees it);
    // before, it is the answer.
    pipeline(body, form, (error) => {
      if (error && !found)
        reject(new MultipartFormError(`the multipart form cannot be read: ${error.message}`));
    });
  });
}
