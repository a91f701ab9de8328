//! RFC 3986 percent-encoding: everything but the unreserved characters
//! (`A-Z a-z 0-9 - . _ ~`) becomes `%XX`. Used for URL user info and for
//! RFC 5987 file names, where this set is safe.

pub fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn keeps_unreserved_and_encodes_the_rest() {
        assert_eq!(super::encode("a-b_c.d~e"), "a-b_c.d~e");
        assert_eq!(super::encode("p@ss:w/ré"), "p%40ss%3Aw%2Fr%C3%A9");
    }
}
