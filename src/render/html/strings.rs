//! The words of the site's own interface, per language. Templates get them as `t`.

use serde::Serialize;

/// Interface text in one language.
#[derive(Debug, Clone, Serialize)]
pub struct Strings {
    pub skip_to_content: &'static str,
    pub navigation: &'static str,
    pub menu: &'static str,
    pub on_this_page: &'static str,
    pub breadcrumbs: &'static str,
    pub home: &'static str,
    pub search: &'static str,
    pub search_placeholder: &'static str,
    pub search_needs_http: &'static str,
    pub search_no_results: &'static str,
    pub search_results: &'static str,
    pub previous: &'static str,
    pub next: &'static str,
    pub back_to_top: &'static str,
    pub updated: &'static str,
    pub product: &'static str,
    pub audience: &'static str,
    pub languages: &'static str,
    pub checklist: &'static str,
    pub checklists: &'static str,
    pub markdown: &'static str,
    pub link_to_section: &'static str,
    pub external: &'static str,
    pub other_articles: &'static str,
    pub all_articles: &'static str,
    pub not_found_title: &'static str,
    pub not_found_text: &'static str,
    pub table: &'static str,
    pub video: &'static str,
    pub note: &'static str,
    pub tip: &'static str,
    pub important: &'static str,
    pub warning: &'static str,
    pub caution: &'static str,
}

pub(crate) const EN: Strings = Strings {
    skip_to_content: "Skip to content",
    navigation: "Navigation",
    menu: "Menu",
    on_this_page: "On this page",
    breadcrumbs: "Breadcrumbs",
    home: "Home",
    search: "Search",
    search_placeholder: "Search articles",
    search_needs_http: "Search works when the site is served over HTTP.",
    search_no_results: "No results",
    search_results: "Search results",
    previous: "Previous",
    next: "Next",
    back_to_top: "Back to top",
    updated: "Updated",
    product: "Product",
    audience: "Audience",
    languages: "Languages",
    checklist: "Printable checklist",
    checklists: "Printable checklists",
    markdown: "Markdown",
    link_to_section: "Link to section",
    external: "external link",
    other_articles: "Other articles",
    all_articles: "All articles",
    not_found_title: "Page not found",
    not_found_text: "The page you asked for does not exist. It may have moved or been renamed.",
    table: "Table",
    video: "Video",
    note: "Note",
    tip: "Tip",
    important: "Important",
    warning: "Warning",
    caution: "Caution",
};

pub(crate) const ZH: Strings = Strings {
    skip_to_content: "跳到正文",
    navigation: "导航",
    menu: "菜单",
    on_this_page: "本页内容",
    breadcrumbs: "路径",
    home: "首页",
    search: "搜索",
    search_placeholder: "搜索文章",
    search_needs_http: "通过 HTTP 访问本站点时才能搜索。",
    search_no_results: "没有结果",
    search_results: "搜索结果",
    previous: "上一篇",
    next: "下一篇",
    back_to_top: "返回页首",
    updated: "更新日期",
    product: "产品",
    audience: "受众",
    languages: "语言",
    checklist: "可打印的检查清单",
    checklists: "可打印的检查清单（全部）",
    markdown: "Markdown",
    link_to_section: "本节链接",
    external: "外部链接",
    other_articles: "其他文章",
    all_articles: "全部文章",
    not_found_title: "找不到页面",
    not_found_text: "您要访问的页面不存在，可能已被移动或重命名。",
    table: "表格",
    video: "视频",
    note: "备注",
    tip: "提示",
    important: "重要",
    warning: "警告",
    caution: "注意",
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
    /// The label of an alert kind (a custom `[!KIND]` keeps its own word).
    pub fn alert(&self, kind: &crate::model::AlertKind) -> String {
        use crate::model::AlertKind;
        match kind {
            AlertKind::Note => self.note.to_string(),
            AlertKind::Tip => self.tip.to_string(),
            AlertKind::Important => self.important.to_string(),
            AlertKind::Warning => self.warning.to_string(),
            AlertKind::Caution => self.caution.to_string(),
            AlertKind::Custom(s) => s.clone(),
        }
    }
}
