/**
 * Files go from the browser straight to the presigned URL the API gives
 * (never through the API), with the exact headers it signed, and report
 * their progress.
 */
import { ApiError } from "../../api/errors";
import { ta } from "../i18n";

/** Where to send a file: the URL and the exact headers the API signed. */
export interface Presigned {
  url: string;
  method: string;
  headers: string[][];
}

/** PUTs `file` to `target`; `progress` gets the fraction sent (0 to 1). */
export function upload(
  target: Presigned,
  file: Blob,
  progress: (fraction: number) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open(target.method || "PUT", target.url);
    for (const [name = "", value = ""] of target.headers) {
      // The browser sets these itself and refuses to be told.
      if (!["host", "content-length"].includes(name.toLowerCase())) {
        request.setRequestHeader(name, value);
      }
    }
    request.upload.onprogress = (event) => {
      if (event.lengthComputable) progress(event.loaded / event.total);
    };
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) {
        progress(1);
        resolve();
      } else {
        reject(new ApiError(request.status, "upload_failed", ta("upload.failed")));
      }
    };
    request.onerror = () => reject(new ApiError(0, "network", ta("upload.failed")));
    request.send(file);
  });
}
