//! Text helpers of the contract: NFC, match keys, hashes, token counts.

use bpe_openai::Tokenizer;
use caseless::Caseless;
use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;

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

/// Pieces longer than this are counted every time: the cache is for the words and short runs that
/// recur across a knowledge base (and within an article, whose text is counted as units, as
/// chunks and as a whole).
const CACHED_PIECE_BYTES: usize = 64;
/// A thread's cache is emptied when it holds this many pieces, so memory stays bounded.
const CACHED_PIECES: usize = 1 << 18;

thread_local! {
    /// Token counts of pre-tokenized pieces, per thread (rayon's threads live as long as the
    /// build, and a count depends on the piece alone, so no thread sees another's work).
    static PIECES: std::cell::RefCell<std::collections::HashMap<Box<str>, u32>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl Tokens {
    /// The exact o200k token count of `text` (as `Tokenizer::count`): pre-tokenize, then count
    /// each piece with BPE, remembering short pieces. The profile of a build showed BPE at a fifth
    /// of its time, mostly on pieces it had counted before.
    pub fn count(&self, text: &str) -> usize {
        let text = self.bpe.normalize(text);
        PIECES.with_borrow_mut(|cache| {
            if cache.len() >= CACHED_PIECES {
                cache.clear();
            }
            self.bpe
                .split(text.as_str())
                .map(|piece| {
                    if piece.len() > CACHED_PIECE_BYTES {
                        return self.bpe.bpe.count(piece.as_bytes());
                    }
                    if let Some(n) = cache.get(piece) {
                        return *n as usize;
                    }
                    let n = self.bpe.bpe.count(piece.as_bytes());
                    cache.insert(piece.into(), u32::try_from(n).unwrap_or(u32::MAX));
                    n
                })
                .sum()
        })
    }
}

/// NFC, the form every string of the output is in.
pub fn nfc(s: &str) -> String {
    if s.is_ascii() { s.to_string() } else { s.nfc().collect() }
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
}
