//! Reading the few values this platform needs from S3's XML answers (keys
//! and sizes of a listing, an upload id, an error code). S3's answers are
//! flat documents with unique element names per level, so finding an
//! element by name is enough; no XML library is linked for it.

/// The texts of every `<tag>…</tag>` in `doc`, in order, unescaped.
pub fn all<'a>(doc: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut found = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        let Some(end) = after.find(&close) else { break };
        found.push(&after[..end]);
        rest = &after[end + close.len()..];
    }
    found
}

/// The unescaped text of the first `<tag>…</tag>` in `doc`.
pub fn text(doc: &str, tag: &str) -> Option<String> {
    all(doc, tag).first().map(|t| unescape(t))
}

/// `text` with XML's five named entities and numeric references decoded.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let after = &rest[amp + 1..];
        let Some(semi) = after.find(';') else {
            out.push_str(&rest[amp..]);
            return out;
        };
        let entity = &after[..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .map(|hex| u32::from_str_radix(hex, 16))
                .or_else(|| entity.strip_prefix('#').map(str::parse))
                .and_then(Result::ok)
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&rest[amp..amp + semi + 2]),
        }
        rest = &after[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// `text` escaped for an element's content.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_elements_and_decodes_entities() {
        let doc = "<R><Contents><Key>a&amp;b&#x2F;c&#47;</Key><Size>3</Size></Contents>\
                   <Contents><Key>d &lt;e&gt;</Key><Size>10</Size></Contents>\
                   <IsTruncated>false</IsTruncated></R>";
        let keys: Vec<String> = all(doc, "Contents")
            .iter()
            .filter_map(|c| text(c, "Key"))
            .collect();
        assert_eq!(keys, ["a&b/c/", "d <e>"]);
        assert_eq!(text(doc, "IsTruncated").as_deref(), Some("false"));
        assert_eq!(text(doc, "Missing"), None);
        assert_eq!(unescape("5 &unknown; & done"), "5 &unknown; & done");
        assert_eq!(unescape(&escape("<a & b>")), "<a & b>");
    }
}
