//! Query normalisation and tokens for lookup and search: pure functions over strings.

use crate::render::json::match_key;

/// Chinese, Japanese and Korean characters: text without spaces between words, tokenised by
/// character bigrams.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF        // Hiragana, Katakana
        | 0x3400..=0x4DBF      // CJK extension A
        | 0x4E00..=0x9FFF      // CJK unified ideographs
        | 0xAC00..=0xD7AF      // Hangul syllables
        | 0xF900..=0xFAFF      // CJK compatibility ideographs
        | 0x20000..=0x3134F    // CJK extensions B to G
    )
}

/// A character that separates words: white space, punctuation and symbols. Letters, digits and
/// combining marks are word characters.
fn is_separator(c: char) -> bool {
    !c.is_alphanumeric() && !is_mark(c)
}

/// Combining marks (accents left after NFKC): part of the word they sit on.
fn is_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

/// The match key without punctuation: every run of separators becomes one space between two
/// non-CJK words and nothing next to a CJK character, so `找不到登录地址！`, `找不到 登录地址` and
/// `找不到登录地址` agree, as do `sign-in failed` and `Sign in failed.`.
pub fn loose_key(text: &str) -> String {
    let key = match_key(text);
    let mut out = String::with_capacity(key.len());
    let mut pending = false;
    for c in key.chars() {
        if is_separator(c) {
            pending = true;
            continue;
        }
        if pending && !out.is_empty() && !is_cjk(c) && !out.chars().next_back().is_some_and(is_cjk) {
            out.push(' ');
        }
        pending = false;
        out.push(c);
    }
    out
}

/// Short English words that say nothing about a problem; ignored as search tokens.
const STOP_WORDS: &[&str] = &[
    "a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "if", "in", "is", "it", "of", "on", "or",
    "that", "the", "this", "to", "was", "with", "you", "your",
];

/// Search tokens: words of letters and digits (case folded, NFKC) outside CJK text, and
/// overlapping character bigrams inside it (a lone CJK character is a token of its own).
pub fn tokens(text: &str) -> Vec<String> {
    let key = match_key(text);
    let mut out = Vec::new();
    let mut word = String::new();
    let mut cjk: Vec<char> = Vec::new();
    let flush_word = |word: &mut String, out: &mut Vec<String>| {
        if !word.is_empty() {
            if !STOP_WORDS.contains(&word.as_str()) {
                out.push(std::mem::take(word));
            }
            word.clear();
        }
    };
    let flush_cjk = |cjk: &mut Vec<char>, out: &mut Vec<String>| {
        match cjk.len() {
            0 => {}
            1 => out.push(cjk[0].to_string()),
            _ => out.extend(cjk.windows(2).map(|w| w.iter().collect::<String>())),
        }
        cjk.clear();
    };
    for c in key.chars() {
        if is_cjk(c) {
            flush_word(&mut word, &mut out);
            cjk.push(c);
        } else if is_separator(c) {
            flush_word(&mut word, &mut out);
            flush_cjk(&mut cjk, &mut out);
        } else {
            flush_cjk(&mut cjk, &mut out);
            word.push(c);
        }
    }
    flush_word(&mut word, &mut out);
    flush_cjk(&mut cjk, &mut out);
    out
}

/// Characters, for length ratios (bytes would weigh CJK three times).
pub fn chars(s: &str) -> usize {
    s.chars().count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loose_keys_ignore_punctuation_width_and_spacing() {
        assert_eq!(loose_key("找不到登录地址"), "找不到登录地址");
        assert_eq!(loose_key("找不到登录地址！"), "找不到登录地址");
        assert_eq!(loose_key("找不到 登录地址。"), "找不到登录地址");
        assert_eq!(loose_key("“用户未启用 SIP”"), "用户未启用sip");
        assert_eq!(loose_key("用户未启用SIP。"), "用户未启用sip");
        assert_eq!(loose_key("Sign-in  FAILED."), "sign in failed");
        assert_eq!(loose_key("Ｓｉｇｎ－ｉｎ　ｆａｉｌｅｄ"), "sign in failed");
        assert_eq!(loose_key("错误：（0x80070005）"), "错误0x80070005");
        assert_eq!(loose_key("...!"), "");
        assert_eq!(loose_key("café"), "café");
    }

    #[test]
    fn tokens_are_words_and_cjk_bigrams() {
        assert_eq!(tokens("找不到登录地址"), ["找不", "不到", "到登", "登录", "录地", "地址"]);
        assert_eq!(tokens("The server is UNAVAILABLE"), ["server", "unavailable"]);
        assert_eq!(tokens("用户未启用 SIP。"), ["用户", "户未", "未启", "启用", "sip"]);
        assert_eq!(tokens("a 字 b"), ["字", "b"]);
        assert_eq!(tokens("Skype服务器"), ["skype", "服务", "务器"]);
        assert!(tokens("  ...  ").is_empty());
    }
}
