//! Text helpers of the contract: NFC, match keys, hashes, token counts.

use bpe_openai::Tokenizer;
use caseless::Caseless;
use sha2::{Digest, Sha256};
use unicode_normalization::{IsNormalized, UnicodeNormalization};

/// The tokenizer's name as written in the output.
pub const TOKENIZER: &str = "o200k_base";

/// Counts tokens with OpenAI's o200k BPE (the tables are compiled into the binary; nothing is
/// downloaded).
#[derive(Clone, Copy)]
pub struct Tokens {
    bpe: &'static Tokenizer,
}

impl Default for Tokens {
    fn default() -> Tokens {
        Tokens { bpe: bpe_openai::o200k_base() }
    }
}

/// Segments longer than this are counted every time: the cache is for the words, lines and short
/// runs that recur across a knowledge base (and within an article, whose text is counted as units,
/// as chunks and as a whole).
const CACHED_SEGMENT_BYTES: usize = 1024;
/// A thread's cache is emptied when it holds this many bytes, so memory stays bounded.
const CACHED_BYTES: usize = 24 << 20;
/// What an entry costs besides its key's bytes: the boxed key's pointer, length and allocation
/// header, the count, and the table's slack. Segments are mostly words of a few bytes, so
/// counting keys alone let a thread's cache grow to several times its bound (about 100 MB over
/// two threads at 50,000 articles).
const ENTRY_BYTES: usize = 64;

/// Token counts of text segments (see [`segments`]), per thread (rayon's threads live as long as
/// the build, and a count depends on the segment alone, so no thread sees another's work).
#[derive(Default)]
struct SegmentCache {
    counts: std::collections::HashMap<Box<str>, u32>,
    bytes: usize,
}

thread_local! {
    static SEGMENTS: std::cell::RefCell<SegmentCache> = std::cell::RefCell::new(SegmentCache::default());
}

/// Empties the calling thread's remembered token counts (see [`Tokens::count`]), for a build
/// that will count no more.
pub fn forget_counts() {
    SEGMENTS.with_borrow_mut(|cache| *cache = SegmentCache::default());
}

impl Tokens {
    /// The exact o200k token count of `text` (as `Tokenizer::count`). The text is cut where the
    /// tokenizer's pre-tokenization always cuts (see [`segments`]), and each segment's count is
    /// remembered: the profile of a build showed the pre-tokenizing regex and BPE at over a quarter
    /// of its time, nearly all of it on words and lines counted before.
    pub fn count(&self, text: &str) -> usize {
        let text = self.bpe.normalize(text);
        SEGMENTS.with_borrow_mut(|cache| {
            segments(text.as_str())
                .map(|segment| {
                    if segment.len() > CACHED_SEGMENT_BYTES {
                        return self.count_pieces(segment);
                    }
                    if let Some(n) = cache.counts.get(segment) {
                        return *n as usize;
                    }
                    let n = self.count_pieces(segment);
                    let cost = segment.len() + ENTRY_BYTES;
                    if cache.bytes + cost > CACHED_BYTES {
                        // A cleared table keeps its buckets: a fresh one gives them back.
                        cache.counts = Default::default();
                        cache.bytes = 0;
                    }
                    cache.bytes += cost;
                    cache.counts.insert(segment.into(), u32::try_from(n).unwrap_or(u32::MAX));
                    n
                })
                .sum()
        })
    }

    /// Pre-tokenize, then count each piece with BPE.
    fn count_pieces(&self, text: &str) -> usize {
        self.bpe.split(text).map(|piece| self.bpe.bpe.count(piece.as_bytes())).sum()
    }
}

/// `text` cut into segments whose token counts add up to the count of the whole: cuts only where
/// o200k's pre-tokenizer always ends a piece, and where the pieces of each side alone are the
/// pieces of the whole.
///
/// The pre-tokenizer is a leftmost-first regex; its pieces are letter runs (with one leading
/// non-letter, non-newline character), runs of up to three digits, punctuation runs (with one
/// leading space, and trailing `\r`, `\n`, `/`), and white-space runs. So a piece never holds a
/// non-white-space character followed by a space, and never holds a newline followed by
/// a character other than white space or `/`. Cutting there keeps every piece whole; the
/// anchored matches after the cut depend only on the text after it; and the text before it does
/// not end in a white-space run that `\s+$` could now take differently (before a space the last
/// character is not white space; after a newline `\s*[\r\n]+` comes first in the pattern and
/// takes the same run). `tests` checks the sum against the tokenizer on the dev corpus.
fn segments(text: &str) -> impl Iterator<Item = &str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let mut at = start + 1;
        while at < bytes.len() {
            let cut = match bytes[at] {
                // A space after a character that is not white space.
                b' ' => text[..at].chars().next_back().is_some_and(|c| !c.is_whitespace()),
                // After a newline, a character that is neither white space nor `/`.
                _ if bytes[at - 1] == b'\n' => {
                    text[at..].chars().next().is_some_and(|c| !c.is_whitespace() && c != '/')
                }
                _ => false,
            };
            if cut {
                break;
            }
            at += 1;
        }
        // `at` is on a char boundary: a space, or a character after a newline (or the end).
        let segment = &text[start..at];
        start = at;
        Some(segment)
    })
}

/// NFC, the form every string of the output is in.
pub fn nfc(s: &str) -> String {
    if is_nfc(s) { s.to_string() } else { s.nfc().collect() }
}

/// Whether `s` is in NFC already, found without normalizing it: most text is (ASCII, Latin,
/// Chinese), and normalizing costs far more than looking.
pub fn is_nfc(s: &str) -> bool {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let bytes = s.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        // Every Markdown twin and JSON string is checked: runs of ASCII (the Markdown syntax,
        // URLs, English) are skipped eight bytes at a time.
        let word = bytes.get(at..at + 8).and_then(|w| <[u8; 8]>::try_from(w).ok());
        if word.is_some_and(|w| u64::from_ne_bytes(w) & HIGH_BITS == 0) {
            at += 8;
            continue;
        }
        let lead = bytes[at];
        if lead.is_ascii() {
            at += 1;
            continue;
        }
        // The main block of CJK ideographs, U+4E00..U+9FFF, and extension A below U+4DC0, without
        // decoding: lead bytes E5..E9 are U+5000..U+9FFF, and E4 is U+4000..U+4FFF, whose
        // second byte is B7 only for U+4DC0..U+4DFF (the hexagram symbols, not in the stable set).
        if (0xE5..=0xE9).contains(&lead) || (lead == 0xE4 && bytes.get(at + 1) != Some(&0xB7)) {
            at += 3;
            continue;
        }
        // `at` is on a character boundary: only whole characters and ASCII bytes were skipped.
        let Some(rest) = s.get(at..) else { return false };
        match rest.chars().next() {
            Some(c) if stable(c) => at += c.len_utf8(),
            _ => {
                // A run of characters that are not stable, after a stable one or the start: the
                // quick check of the whole text restarts at every stable character (combining
                // class 0, always allowed), so the run can be checked on its own.
                let run = rest.char_indices().find(|&(_, c)| stable(c)).map_or(rest.len(), |(i, _)| i);
                if unicode_normalization::is_nfc_quick(rest[..run].chars()) != IsNormalized::Yes {
                    return false;
                }
                at += run;
            }
        }
    }
    true
}

/// Characters that are NFC in any context: not combining, not composing with what precedes them,
/// no decomposition. Below U+0300 (before the combining diacritics), CJK punctuation up to U+3029
/// (U+302A..U+302F combine), the CJK ideographs of extension A and the main block, full-width
/// ASCII. (Not the compatibility ideographs at U+F900, which decompose.)
fn stable(c: char) -> bool {
    matches!(c as u32, 0..0x300 | 0x3000..=0x3029 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xFF01..=0xFF5E)
}

/// SHA-256 as 64 lowercase hex digits.
pub fn sha256_hex(text: &str) -> String {
    let digest = Sha256::digest(text.as_bytes());
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(char::from_digit(u32::from(b >> 4), 16).unwrap_or('0'));
        out.push(char::from_digit(u32::from(b & 15), 16).unwrap_or('0'));
    }
    out
}

/// The lookup key of an error message or symptom (documented on
/// `TroubleshootingEntry::match_key`): NFKC, case folded, punctuation folded to ASCII, white space
/// collapsed, leading and trailing white space and ASCII punctuation removed.
///
/// This is the reference implementation consumers reproduce: `match_key("找不到登录地址。")` and
/// `match_key("  找不到登录地址 ")` are both `找不到登录地址`.
pub fn match_key(text: &str) -> String {
    let folded: String = text.nfkc().default_case_fold().collect();
    // Case folding can leave text that NFKC would change again (rare); one more pass settles it.
    let folded: String = folded.nfkc().collect();
    let mut out = String::with_capacity(folded.len());
    let mut space = false;
    for c in folded.chars() {
        if c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !out.is_empty() {
            out.push(' ');
        }
        space = false;
        match fold_punctuation(c) {
            Some(s) => out.push_str(s),
            None => out.push(c),
        }
    }
    out.trim_matches(|c: char| c.is_ascii_punctuation() || c == ' ').to_string()
}

/// CJK and typographic punctuation that NFKC leaves alone, as ASCII.
fn fold_punctuation(c: char) -> Option<&'static str> {
    Some(match c {
        '。' | '｡' => ".",
        '、' | '､' => ",",
        '“' | '”' | '„' | '‟' | '「' | '」' | '『' | '』' | '〝' | '〞' | '«' | '»' => "\"",
        '‘' | '’' | '‚' | '‛' => "'",
        '【' | '〔' | '〖' | '〘' => "[",
        '】' | '〕' | '〗' | '〙' => "]",
        '《' | '〈' => "<",
        '》' | '〉' => ">",
        '…' => "...",
        '‐' | '‑' | '‒' | '–' | '—' | '―' => "-",
        '・' | '･' => "·",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nfc_is_found_without_normalizing_and_matches_normalizing() {
        for s in [
            "plain",
            "登录错误",
            "e\u{301}",
            "\u{e9}",
            "\u{2000}",
            "\u{f900}",
            "\u{1100}\u{1161}",
            "か\u{3099}",
            "〇\u{302a}",
        ] {
            let normalized: String = s.nfc().collect();
            assert_eq!(nfc(s), normalized, "{s:?}");
            assert_eq!(is_nfc(s), s == normalized, "{s:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn nfc_agrees_with_full_normalization(s in "\\PC*") {
            proptest::prop_assert_eq!(nfc(&s), s.nfc().collect::<String>());
        }

        #[test]
        fn nfc_is_the_quick_check_of_the_whole_text(s in "[a-z <>|\\n\\u{e9}\\u{301}\\u{300}\\u{316}登录\\u{f900}\\u{3000}\\u{302a}\\u{2026}\\u{3099}か\\u{4000}-\\u{4fff}\\u{9fff}\\u{a000}]{0,40}") {
            let whole = unicode_normalization::is_nfc_quick(s.chars()) == IsNormalized::Yes;
            proptest::prop_assert_eq!(is_nfc(&s), whole);
        }
    }

    #[test]
    fn match_keys_fold_width_case_space_and_punctuation() {
        assert_eq!(match_key("找不到登录地址"), "找不到登录地址");
        assert_eq!(match_key("  找不到登录地址。 "), "找不到登录地址");
        assert_eq!(match_key("用户未启用 SIP。"), "用户未启用 sip");
        assert_eq!(match_key("Ｓｉｇｎ－ｉｎ　ＦＡＩＬＥＤ！"), "sign-in failed");
        assert_eq!(match_key("“服务器暂时不可用”"), "服务器暂时不可用");
        assert_eq!(match_key("Straße\tnot\n found"), "strasse not found");
        assert_eq!(match_key("错误：（0x80070005）"), "错误:(0x80070005");
        assert_eq!(match_key("..."), "");
    }

    #[test]
    fn hashes_and_tokens() {
        assert_eq!(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        let tokens = Tokens::default();
        assert_eq!(tokens.count(""), 0);
        assert!(tokens.count("hello world") == 2);
        // Chinese runs at well under one token per character.
        let zh = "若要解决登录错误，首先消除登录时遇到困难的最常见的原因。";
        let n = tokens.count(zh);
        assert!(n > 5 && n < zh.chars().count(), "{n}");
        // Remembered pieces give the tokenizer's own count.
        let en = "Sign in to Skype for Business Online; sign in again. Sign-in errors: 0x80070005.";
        for text in [zh, en, en, "  \n\n  x", ""] {
            assert_eq!(tokens.count(text), bpe_openai::o200k_base().count(text), "{text:?}");
        }
    }

    /// Segments add up to the tokenizer's count of the whole, and the cut points are piece
    /// boundaries of the whole (so the check is not a coincidence of sums).
    fn exact(text: &str) {
        let bpe = bpe_openai::o200k_base();
        let mut at = 0;
        let mut cuts = std::collections::BTreeSet::new();
        for segment in segments(text) {
            assert!(!segment.is_empty(), "{text:?}");
            at += segment.len();
            cuts.insert(at);
        }
        assert_eq!(at, text.len(), "segments cover {text:?}");
        let mut ends = std::collections::BTreeSet::new();
        let mut end = 0;
        for piece in bpe.split(text) {
            end += piece.len();
            ends.insert(end);
        }
        assert!(cuts.is_subset(&ends), "cuts {cuts:?} not piece ends {ends:?} in {text:?}");
        assert_eq!(Tokens::default().count(text), bpe.count(text), "{text:?}");
    }

    #[test]
    fn segments_cut_only_where_the_tokenizer_does_on_the_dev_corpus() {
        let files = crate::test_corpus::dev_markdown();
        assert!(files.len() > 100);
        for (_, text) in &files {
            exact(text);
            exact(&text.replace('\n', "\r\n"));
            for block in text.split("\n\n") {
                exact(block);
            }
        }
    }

    #[test]
    fn segments_on_edge_cases() {
        for text in [
            " ",
            "\n",
            "a b",
            "a  b",
            "a\nb",
            "a\n b",
            "a\n/b",
            "x.\n/y",
            "a \nb",
            "a\r\nb",
            "a\n\u{3000}b",
            "a\u{3000} b",
            "a\u{a0} b",
            "\u{2028} x",
            "它 是\n中文",
            "1234 567",
            "don't stop",
            "A 's",
            "a\n'S",
            "e\u{301} x",
            "x \n\n\n",
            "x\n",
            "  x",
            "\n\n## Title\n\n- a\n- b\n",
        ] {
            exact(text);
        }
    }

    proptest::proptest! {
        #[test]
        fn segments_add_up_on_any_text(text in "[ a-zA-Z0-9\\n\\r\\t/.,'#\u{3000}\u{a0}\u{2028}\u{301}é中文。]{0,40}") {
            exact(&text);
        }
    }
}
