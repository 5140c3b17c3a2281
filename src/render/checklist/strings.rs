//! The checklist's own words, per language (the article's, so a Chinese sheet reads Chinese).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct Strings {
    pub checklist: &'static str,
    pub checklists: &'static str,
    pub common_causes: &'static str,
    pub by_error_message: &'static str,
    pub by_symptom: &'static str,
    pub escalation: &'static str,
    pub escalation_hint: &'static str,
    pub ticket: &'static str,
    pub user: &'static str,
    pub checked_by: &'static str,
    pub date: &'static str,
    pub updated: &'static str,
    pub version: &'static str,
    pub links: &'static str,
    pub items: &'static str,
    pub article: &'static str,
    pub qr: &'static str,
    pub video: &'static str,
    /// The page's words of the same language: alert labels are the ones the article page shows.
    #[serde(skip)]
    pub page: &'static crate::render::html::strings::Strings,
    /// `(see 2.3)`: opening, word, closing.
    pub see_open: &'static str,
    pub see: &'static str,
    pub see_close: &'static str,
    pub open_quote: &'static str,
    /// `: ` or `：`.
    pub colon: &'static str,
    pub close_quote: &'static str,
}

const EN: Strings = Strings {
    checklist: "Checklist",
    checklists: "Printable checklists",
    common_causes: "Common causes",
    by_error_message: "By error message",
    by_symptom: "By symptom",
    escalation: "Escalation",
    escalation_hint: "Still not solved? Collect the following and escalate.",
    ticket: "Ticket",
    user: "User",
    checked_by: "Checked by",
    date: "Date",
    updated: "Article date",
    version: "Version",
    links: "Links",
    items: "items",
    article: "Article",
    qr: "QR code of the article's address",
    video: "Video",
    page: &crate::render::html::strings::EN,
    see_open: " (",
    see: "see ",
    see_close: ")",
    open_quote: "“",
    close_quote: "”",
    colon: ": ",
};

const ZH: Strings = Strings {
    checklist: "检查清单",
    checklists: "可打印的检查清单",
    common_causes: "常见原因",
    by_error_message: "按错误消息",
    by_symptom: "按症状",
    escalation: "升级",
    escalation_hint: "仍未解决？请收集以下信息并升级处理。",
    ticket: "工单",
    user: "用户",
    checked_by: "检查人",
    date: "日期",
    updated: "文章日期",
    version: "版本",
    links: "链接",
    items: "项",
    article: "文章",
    qr: "文章地址的二维码",
    video: "视频",
    page: &crate::render::html::strings::ZH,
    see_open: "（",
    see: "见 ",
    see_close: "）",
    open_quote: "“",
    close_quote: "”",
    colon: "：",
};

/// The strings for a language tag (`zh-CN` → Chinese; anything unknown → English).
pub fn for_lang(lang: &str) -> &'static Strings {
    let primary = lang.split(['-', '_']).next().unwrap_or("").to_ascii_lowercase();
    match primary.as_str() {
        "zh" => &ZH,
        _ => &EN,
    }
}

impl Strings {
    /// The label of an alert kind.
    pub fn alert(&self, kind: &crate::model::AlertKind) -> String {
        self.page.alert(kind)
    }
}
