//! The file types the platform takes: each one's extension, MIME type and
//! what its first bytes look like, so an upload is checked against the type
//! it was declared as. Configuration narrows the documents' types among
//! these; uploads check them.

/// What a file's first bytes must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Signature {
    Pdf,
    Png,
    Jpeg,
    Gif,
    Webp,
    /// Office Open XML and OpenDocument files are zip archives.
    Zip,
    /// Legacy Office files are OLE compound documents.
    Ole,
    /// Plain text: no NUL byte.
    Text,
}

/// A file type we take: its extension, MIME type and signature.
#[derive(Debug, Clone, Copy)]
pub struct FileType {
    pub extension: &'static str,
    pub mime: &'static str,
    signature: Signature,
}

/// Every type the platform knows; `DOCUMENT_TYPES` narrows the documents'.
pub const FILE_TYPES: &[FileType] = &[
    FileType {
        extension: "pdf",
        mime: "application/pdf",
        signature: Signature::Pdf,
    },
    FileType {
        extension: "doc",
        mime: "application/msword",
        signature: Signature::Ole,
    },
    FileType {
        extension: "docx",
        mime: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        signature: Signature::Zip,
    },
    FileType {
        extension: "xls",
        mime: "application/vnd.ms-excel",
        signature: Signature::Ole,
    },
    FileType {
        extension: "xlsx",
        mime: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        signature: Signature::Zip,
    },
    FileType {
        extension: "ppt",
        mime: "application/vnd.ms-powerpoint",
        signature: Signature::Ole,
    },
    FileType {
        extension: "pptx",
        mime: "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        signature: Signature::Zip,
    },
    FileType {
        extension: "odt",
        mime: "application/vnd.oasis.opendocument.text",
        signature: Signature::Zip,
    },
    FileType {
        extension: "ods",
        mime: "application/vnd.oasis.opendocument.spreadsheet",
        signature: Signature::Zip,
    },
    FileType {
        extension: "odp",
        mime: "application/vnd.oasis.opendocument.presentation",
        signature: Signature::Zip,
    },
    FileType {
        extension: "txt",
        mime: "text/plain",
        signature: Signature::Text,
    },
    FileType {
        extension: "csv",
        mime: "text/csv",
        signature: Signature::Text,
    },
    FileType {
        extension: "png",
        mime: "image/png",
        signature: Signature::Png,
    },
    FileType {
        extension: "jpg",
        mime: "image/jpeg",
        signature: Signature::Jpeg,
    },
    FileType {
        extension: "gif",
        mime: "image/gif",
        signature: Signature::Gif,
    },
    FileType {
        extension: "webp",
        mime: "image/webp",
        signature: Signature::Webp,
    },
];

/// The image types (logo, photos). SVG is left out on purpose: it can
/// carry script.
pub const IMAGE_EXTENSIONS: &[&str] = &["png", "jpg", "gif", "webp"];

/// How many leading bytes the signature check reads.
pub const SNIFF_BYTES: u64 = 512;

impl FileType {
    /// The type whose MIME type is `mime` (parameters ignored), if known.
    pub fn by_mime(mime: &str) -> Option<&'static FileType> {
        let base = mime.split(';').next().unwrap_or_default().trim();
        FILE_TYPES
            .iter()
            .find(|t| t.mime.eq_ignore_ascii_case(base))
    }

    /// `true` when `head` (a file's first bytes) looks like this type.
    pub fn matches(&self, head: &[u8]) -> bool {
        match self.signature {
            Signature::Pdf => head.starts_with(b"%PDF-"),
            Signature::Png => head.starts_with(b"\x89PNG\r\n\x1a\n"),
            Signature::Jpeg => head.starts_with(b"\xff\xd8\xff"),
            Signature::Gif => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
            Signature::Webp => head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP",
            Signature::Zip => head.starts_with(b"PK\x03\x04"),
            Signature::Ole => head.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"),
            Signature::Text => !head.is_empty() && !head.contains(&0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_tell_types_apart() {
        let pdf = FileType::by_mime("application/pdf").unwrap();
        assert!(pdf.matches(b"%PDF-1.7\n..."));
        assert!(!pdf.matches(b"\x89PNG\r\n\x1a\n"));
        let png = FileType::by_mime("image/png; charset=binary").unwrap();
        assert!(png.matches(b"\x89PNG\r\n\x1a\n\0\0"));
        let webp = FileType::by_mime("image/webp").unwrap();
        assert!(webp.matches(b"RIFF\x10\0\0\0WEBPVP8 "));
        assert!(!webp.matches(b"RIFF\x10\0\0\0WAVEfmt "));
        let docx = FileType::by_mime(
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        )
        .unwrap();
        assert!(docx.matches(b"PK\x03\x04\x14\0"));
        let txt = FileType::by_mime("text/plain").unwrap();
        assert!(txt.matches(b"Minutes of the meeting"));
        assert!(!txt.matches(b"MZ\x90\0\x03"));
        assert!(FileType::by_mime("image/svg+xml").is_none());
        assert!(FileType::by_mime("application/x-msdownload").is_none());
    }
}
