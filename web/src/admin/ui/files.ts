/**
 * An upload as the API arranges it: reserve (the API answers a presigned
 * URL and an id), send the file straight to storage with its progress,
 * then confirm with the id. Several files go one after another, each with
 * its own progress line.
 */
import { useState } from "preact/hooks";
import type { Schemas } from "../../api/client";
import { upload, type Presigned } from "./upload";

/** The API's answer to an upload request. */
export interface Reserved {
  upload_id: string;
  upload: Presigned;
}

/** What the API is told about a file before it is sent. */
export function declared(file: File): Schemas["Declared"] {
  return {
    file_name: file.name,
    content_type: file.type || "application/octet-stream",
    size_bytes: file.size,
  };
}

export interface Sending {
  name: string;
  fraction: number;
}

/** Sends files one by one: `reserve` asks the API for each upload URL,
 * `confirm` records each file once it is stored. `sending` lists the files
 * under way, for the progress lines. */
export function useUploads(
  reserve: (file: File) => Promise<Reserved>,
  confirm: (reserved: Reserved, file: File) => Promise<unknown>,
): { sending: Sending[]; send: (files: File[]) => Promise<void> } {
  const [sending, setSending] = useState<Sending[]>([]);
  const send = async (files: File[]) => {
    setSending(files.map((f) => ({ name: f.name, fraction: 0 })));
    try {
      for (const [i, file] of files.entries()) {
        const reserved = await reserve(file);
        await upload(reserved.upload, file, (fraction) =>
          setSending((all) => all.map((s, j) => (j === i ? { ...s, fraction } : s))),
        );
        await confirm(reserved, file);
      }
    } finally {
      setSending([]);
    }
  };
  return { sending, send };
}
