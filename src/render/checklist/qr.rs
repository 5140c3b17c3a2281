//! The QR code of an article's published URL, as an inline SVG: one `<path>` of unit squares, so
//! it prints sharp at any size and needs no image file next to the checklist.

use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::{Color, EcLevel};
use std::fmt::Write;

/// Modules of white space around the code, as the QR standard asks for.
const QUIET: usize = 4;

/// The modules of `data`'s QR code, row by row, and its width.
///
/// Level M survives a smudged or creased print better than L and stays small for URLs. The mask is
/// fixed: `QrCode::new` scores all eight masks, which the profile showed at a sixth of a whole
/// build's time (a printed URL of a few dozen bytes gains nothing measurable from the best one),
/// and readers take the mask from the code's format information, so any mask decodes.
fn encode(data: &str) -> Option<(usize, Vec<Color>)> {
    let bits = qrcode::bits::encode_auto(data.as_bytes(), EcLevel::M).ok()?;
    let version = bits.version();
    let data = bits.into_bytes();
    let (encoded, ec) = qrcode::ec::construct_codewords(&data, version, EcLevel::M).ok()?;
    let mut canvas = Canvas::new(version, EcLevel::M);
    canvas.draw_all_functional_patterns();
    canvas.draw_data(&encoded, &ec);
    canvas.apply_mask(MaskPattern::Checkerboard);
    Some((usize::try_from(version.width()).ok()?, canvas.into_colors()))
}

/// An SVG of the QR code of `data`, `size` CSS units wide, with `label` as its accessible name.
/// `None` when the data is too long for any QR version (a URL of several kilobytes).
pub fn svg(data: &str, size: &str, label: &str) -> Option<String> {
    let (width, colors) = encode(data)?;
    let mut path = String::new();
    for (i, c) in colors.iter().enumerate() {
        if *c == Color::Dark {
            let (x, y) = (i % width + QUIET, i / width + QUIET);
            let _ = write!(path, "M{x} {y}h1v1h-1z");
        }
    }
    let full = width + 2 * QUIET;
    Some(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"cl-qr\" role=\"img\" aria-label=\"{}\" \
         viewBox=\"0 0 {full} {full}\" width=\"{size}\" height=\"{size}\" shape-rendering=\"crispEdges\">\
         <rect width=\"{full}\" height=\"{full}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>",
        crate::render::html::sanitize::escape(label)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_a_square_code_and_refuses_oversized_data() {
        let s = svg("https://kb.example.com/a.html", "30mm", "QR").unwrap_or_default();
        assert!(s.starts_with("<svg") && s.contains("viewBox=\"0 0 37 37\""), "{s}");
        assert!(s.matches('M').count() > 100);
        assert!(svg(&"x".repeat(5000), "30mm", "QR").is_none());
    }
}
