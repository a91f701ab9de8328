//! Receipts as PDF: one A4 page with the organisation's logo (a PNG or
//! JPEG one; another kind is left out) and name, a title, the number and
//! the facts, in the PDF's built-in Helvetica (no font to embed, so a
//! receipt weighs a few kilobytes). Text outside Windows-1252, the
//! encoding those fonts have, prints as `?`.

use loaf_core::storage::Storage;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str};
use sqlx::PgConnection;

/// Who issues receipts: the organisation's name (from its settings, or
/// `fallback`) and its logo's bytes (`None` without one, or when storage
/// fails to give it: a receipt without a logo beats no receipt).
pub async fn letterhead(
    conn: &mut PgConnection,
    storage: &Storage,
    fallback: &str,
    max_logo_bytes: i64,
) -> Result<(String, Option<Vec<u8>>), sqlx::Error> {
    let (name, key) = crate::settings::name_and_logo(conn).await?;
    let logo = match key {
        Some(key) => match storage.get_bytes(&key, max_logo_bytes).await {
            Ok(bytes) => bytes.map(|b| b.to_vec()),
            Err(e) => {
                tracing::warn!(error = %e, "the logo could not be read: a receipt without it");
                None
            }
        },
        None => None,
    };
    let name = name.filter(|n| !n.trim().is_empty());
    Ok((name.unwrap_or_else(|| fallback.to_string()), logo))
}

/// What a receipt says.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub org_name: String,
    /// The logo file's bytes, if the organisation has one.
    pub logo: Option<Vec<u8>>,
    /// "Donation receipt", "Membership payment confirmation".
    pub title: String,
    pub number: String,
    /// The facts, label and value, one per line.
    pub lines: Vec<(String, String)>,
    /// A closing sentence.
    pub footer: String,
}

/// An image the PDF can draw: its pixels encoded for a filter, and an
/// alpha mask when it has one.
struct Image {
    width: u32,
    height: u32,
    filter: Filter,
    data: Vec<u8>,
    gray: bool,
    alpha: Option<Vec<u8>>,
}

const A4: Rect = Rect {
    x1: 0.0,
    y1: 0.0,
    x2: 595.0,
    y2: 842.0,
};
const MARGIN: f32 = 56.0;

/// Points between two facts (a label over its value).
const STEP: f32 = 36.0;
/// The lowest a fact may start: room below for the footer.
const BOTTOM: f32 = MARGIN + 40.0;

impl Receipt {
    /// The PDF file: one page, or as many as the facts need (an annual
    /// statement of weekly gifts), each headed with the title and number.
    pub fn render(&self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let (catalog, pages, font, bold, image, mask) = (
            Ref::new(1),
            Ref::new(2),
            Ref::new(4),
            Ref::new(5),
            Ref::new(7),
            Ref::new(8),
        );
        let logo = self.logo.as_deref().and_then(decode);
        // The logo's box on the first page: at most 160 by 64 points, its
        // proportions kept.
        let logo_box = logo.as_ref().map(|l| {
            let scale = (160.0 / l.width as f32).min(64.0 / l.height as f32);
            (l.width as f32 * scale, l.height as f32 * scale)
        });
        let first_top = A4.y2 - MARGIN - logo_box.map_or(0.0, |(_, h)| h + 24.0);
        let per_page = |top: f32| (((top - 120.0 - BOTTOM) / STEP).floor() as usize + 1).max(1);
        let mut chunks: Vec<&[(String, String)]> = Vec::new();
        let mut rest = &self.lines[..];
        let mut top = first_top;
        loop {
            let (now, later) = rest.split_at(per_page(top).min(rest.len()));
            chunks.push(now);
            rest = later;
            top = A4.y2 - MARGIN;
            if rest.is_empty() {
                break;
            }
        }
        // The first page keeps the references a one-page receipt always had.
        let refs: Vec<(Ref, Ref)> = (0..chunks.len() as i32)
            .map(|i| match i {
                0 => (Ref::new(3), Ref::new(6)),
                _ => (Ref::new(8 + 2 * i), Ref::new(9 + 2 * i)),
            })
            .collect();

        pdf.catalog(catalog).pages(pages);
        pdf.pages(pages)
            .kids(refs.iter().map(|(page, _)| *page))
            .count(refs.len() as i32);
        for (i, (page, content)) in refs.iter().enumerate() {
            let mut p = pdf.page(*page);
            p.media_box(A4).parent(pages).contents(*content);
            let mut resources = p.resources();
            resources
                .fonts()
                .pair(Name(b"F1"), font)
                .pair(Name(b"F2"), bold);
            if i == 0 && logo.is_some() {
                resources.x_objects().pair(Name(b"Logo"), image);
            }
            resources.finish();
            p.finish();
        }
        for (id, base) in [(font, &b"Helvetica"[..]), (bold, b"Helvetica-Bold")] {
            pdf.type1_font(id)
                .base_font(Name(base))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        if let Some(logo) = &logo {
            let mut x = pdf.image_xobject(image, &logo.data);
            x.filter(logo.filter);
            x.width(logo.width as i32)
                .height(logo.height as i32)
                .bits_per_component(8);
            if logo.gray {
                x.color_space().device_gray();
            } else {
                x.color_space().device_rgb();
            }
            if logo.alpha.is_some() {
                x.s_mask(mask);
            }
            x.finish();
            if let Some(alpha) = &logo.alpha {
                let mut m = pdf.image_xobject(mask, alpha);
                m.filter(Filter::FlateDecode);
                m.width(logo.width as i32)
                    .height(logo.height as i32)
                    .bits_per_component(8);
                m.color_space().device_gray();
                m.finish();
            }
        }

        let line = |c: &mut Content, font: &[u8], size: f32, y: f32, text: &str| {
            c.begin_text();
            c.set_font(Name(font), size);
            c.next_line(MARGIN, y);
            c.show(Str(&win_ansi(text)));
            c.end_text();
        };
        let last = chunks.len() - 1;
        for (i, facts) in chunks.iter().enumerate() {
            let mut c = Content::new();
            let top = if i == 0 { first_top } else { A4.y2 - MARGIN };
            if let (0, Some((w, h))) = (i, logo_box) {
                c.save_state();
                c.transform([w, 0.0, 0.0, h, MARGIN, A4.y2 - MARGIN - h]);
                c.x_object(Name(b"Logo"));
                c.restore_state();
            }
            line(&mut c, b"F2", 16.0, top - 16.0, &self.org_name);
            line(&mut c, b"F2", 20.0, top - 56.0, &self.title);
            let number = match chunks.len() {
                1 => format!("No. {}", self.number),
                n => format!("No. {}, page {} of {n}", self.number, i + 1),
            };
            line(&mut c, b"F1", 12.0, top - 80.0, &number);
            let mut y = top - 120.0;
            for (label, value) in *facts {
                line(&mut c, b"F2", 11.0, y, label);
                line(&mut c, b"F1", 11.0, y - 14.0, value);
                y -= STEP;
            }
            if i == last {
                line(&mut c, b"F1", 10.0, y - 8.0, &self.footer);
            }
            pdf.stream(refs[i].1, &c.finish());
        }
        pdf.finish()
    }
}

/// `text` in Windows-1252, what the built-in fonts read; `?` for the rest.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            _ => match c {
                '€' => 0x80,
                '‘' => 0x91,
                '’' => 0x92,
                '“' => 0x93,
                '”' => 0x94,
                '–' => 0x96,
                '—' => 0x97,
                'œ' => 0x9c,
                'Œ' => 0x8c,
                _ => b'?',
            },
        })
        .collect()
}

/// The logo as the PDF draws it, if it is a PNG or a baseline JPEG.
fn decode(bytes: &[u8]) -> Option<Image> {
    if bytes.starts_with(b"\x89PNG") {
        png_image(bytes)
    } else if bytes.starts_with(&[0xff, 0xd8]) {
        jpeg_image(bytes)
    } else {
        None
    }
}

fn png_image(bytes: &[u8]) -> Option<Image> {
    let mut decoder = png::Decoder::new(bytes);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).ok()?;
    let pixels = &buf[..info.buffer_size()];
    let (channels, gray, has_alpha) = match info.color_type {
        png::ColorType::Grayscale => (1, true, false),
        png::ColorType::GrayscaleAlpha => (2, true, true),
        png::ColorType::Rgb => (3, false, false),
        png::ColorType::Rgba => (4, false, true),
        png::ColorType::Indexed => return None,
    };
    let colors = if has_alpha { channels - 1 } else { channels };
    let (mut color, mut alpha) = (Vec::new(), Vec::new());
    for px in pixels.chunks_exact(channels) {
        color.extend_from_slice(&px[..colors]);
        if has_alpha {
            alpha.push(px[colors]);
        }
    }
    let zip = |raw: &[u8]| miniz_oxide::deflate::compress_to_vec_zlib(raw, 6);
    Some(Image {
        width: info.width,
        height: info.height,
        filter: Filter::FlateDecode,
        data: zip(&color),
        gray,
        alpha: has_alpha.then(|| zip(&alpha)),
    })
}

/// A JPEG goes in as it is (the PDF decodes it); its size and colours come
/// from its frame header. CMYK and other rarities are left out.
fn jpeg_image(bytes: &[u8]) -> Option<Image> {
    let mut i = 2;
    while i + 9 < bytes.len() {
        if bytes[i] != 0xff {
            return None;
        }
        let marker = bytes[i + 1];
        let len = u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]) as usize;
        // Start of frame (baseline, extended, progressive).
        if matches!(marker, 0xc0..=0xc2) {
            let height = u16::from_be_bytes([bytes[i + 5], bytes[i + 6]]) as u32;
            let width = u16::from_be_bytes([bytes[i + 7], bytes[i + 8]]) as u32;
            let gray = match bytes[i + 9] {
                1 => true,
                3 => false,
                _ => return None,
            };
            return Some(Image {
                width,
                height,
                filter: Filter::DctDecode,
                data: bytes.to_vec(),
                gray,
                alpha: None,
            });
        }
        i += 2 + len;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn receipt(logo: Option<Vec<u8>>) -> Receipt {
        Receipt {
            org_name: "Les Amis du Parc".into(),
            logo,
            title: "Donation receipt".into(),
            number: "2026-000042".into(),
            lines: vec![("Amount".into(), "EUR 45.00".into())],
            footer: "Thank you.".into(),
        }
    }

    #[test]
    fn facts_beyond_a_page_go_on_the_next_every_one_printed_once() {
        let mut long = receipt(Some(png_logo()));
        long.lines = (1..=52)
            .map(|week| (format!("Week {week:02}"), format!("EUR {week}.00")))
            .collect();
        let pdf = long.render();
        let count = |needle: &[u8]| pdf.windows(needle.len()).filter(|w| *w == needle).count();
        assert_eq!(count(b"/Count 4"), 1, "four pages");
        assert_eq!(count(b"No. 2026-000042, page 4 of 4"), 1);
        for week in 1..=52 {
            assert_eq!(
                count(format!("(Week {week:02})").as_bytes()),
                1,
                "week {week}"
            );
        }
        assert_eq!(
            count(b"(Thank you.)"),
            1,
            "the footer once, on the last page"
        );
    }

    /// A 2×1 RGBA PNG.
    fn png_logo() -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 2, 1);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().unwrap();
        writer
            .write_image_data(&[255, 0, 0, 255, 0, 0, 255, 0])
            .unwrap();
        drop(writer);
        out
    }

    #[test]
    fn a_receipt_is_a_pdf_with_its_number_name_and_accents_in_win_ansi() {
        let pdf = receipt(None).render();
        assert!(pdf.starts_with(b"%PDF-"));
        let find = |needle: &[u8]| pdf.windows(needle.len()).any(|w| w == needle);
        assert!(find(b"/Count 1"));
        assert!(find(b"No. 2026-000042)"), "one page says no page number");
        assert!(find(b"Les Amis du Parc"));
        assert!(!find(b"/Image"), "no logo, no image");
        assert_eq!(win_ansi("Zoë – €5 ✓"), b"Zo\xeb \x96 \x805 ?");
    }

    #[test]
    fn a_png_logo_is_drawn_with_its_transparency_and_other_files_are_left_out() {
        let pdf = receipt(Some(png_logo())).render();
        let count = |needle: &[u8]| pdf.windows(needle.len()).filter(|w| *w == needle).count();
        assert_eq!(count(b"/Subtype /Image"), 2, "the picture and its mask");
        let pdf = receipt(Some(b"GIF89a...".to_vec())).render();
        assert!(!pdf.windows(6).any(|w| w == b"/Image"));
    }
}
