//! `llms.txt` and `llms-full.txt` (llmstxt.org): an H1, a summary blockquote, and H2 lists of
//! `- [title](url): description` pointing at the Markdown twins; the full file holds every twin.
//!
//! One pair at the root covers every locale; one pair per locale sits in `<locale>/` (lower case,
//! as DocFX lays out localized sites). A full file larger than `llms-full-max-bytes` is split
//! along the navigation groups into `llms-full-<n>.txt`, and `llms-full.txt` lists the parts.

use super::Ctx;
use crate::model::ArticleId;
use crate::render::markdown::{Links, Slotted};
use crate::render::{RenderError, Spool, StreamedFile, urls, write_file};
use rayon::prelude::*;
use std::path::Path;

/// One folder's `llms` files: the root's (every locale) or a locale's.
pub(super) struct Set {
    /// `""` or `"zh-cn/"`.
    dir: String,
    locale: Option<String>,
    /// Every locale of the book.
    locales: Vec<String>,
}

impl Set {
    /// The name its files are kept under between builds: `llms`, `llms-zh-cn`.
    pub(super) fn memo_name(&self) -> String {
        match self.dir.strip_suffix('/') {
            Some(dir) => format!("llms-{dir}"),
            None => "llms".into(),
        }
    }
}

/// Every folder that gets `llms` files: the root, then each locale's.
pub(super) fn sets(cx: &Ctx<'_>) -> Vec<Set> {
    let locales = cx.locales();
    let mut out = vec![Set { dir: String::new(), locale: None, locales: locales.clone() }];
    for locale in locales.iter() {
        let dir = format!("{}/", locale.to_lowercase());
        out.push(Set { dir, locale: Some(locale.clone()), locales: locales.clone() });
    }
    out
}

/// A group of articles under an H2.
struct Group {
    title: String,
    articles: Vec<ArticleId>,
}

/// The navigation groups restricted to `locale` (every locale, labelled, when `None` and there
/// are several).
fn groups(cx: &Ctx<'_>, locale: Option<&str>, locales: &[String]) -> Vec<Group> {
    let wanted: Vec<&str> = match locale {
        Some(l) => vec![l],
        None => locales.iter().map(String::as_str).collect(),
    };
    let mut out = Vec::new();
    for l in &wanted {
        for (title, members) in &cx.parts.groups {
            let articles: Vec<ArticleId> =
                members.iter().copied().filter(|&a| cx.outline(a).locale == *l).collect();
            if articles.is_empty() {
                continue;
            }
            let title = if wanted.len() > 1 { format!("{title} ({l})") } else { title.clone() };
            out.push(Group { title, articles });
        }
    }
    out
}

fn heading(cx: &Ctx<'_>, locale: Option<&str>) -> String {
    let book = &cx.book.config.book;
    let title = book.title.as_deref().map(str::trim).filter(|t| !t.is_empty()).unwrap_or("Knowledge base");
    let mut out = match locale {
        Some(l) => format!("# {} ({l})\n", super::text::nfc(title)),
        None => format!("# {}\n", super::text::nfc(title)),
    };
    if let Some(d) = book.description.as_deref().map(one_line).filter(|d| !d.is_empty()) {
        out.push_str(&format!("\n> {}\n", super::text::nfc(&d)));
    }
    out
}

/// One set's article texts, spooled in its order as they are rendered (the full text is the size
/// of every article's, so it is never held), with their lengths.
pub(super) struct SetTexts {
    groups: Vec<Group>,
    spool: Spool,
    /// For each group, the length of each article's text (newline excluded).
    lens: Vec<Vec<usize>>,
}

/// A set's groups, and its articles in order, each with the group it is under.
struct Plan {
    groups: Vec<Group>,
    order: Vec<(usize, ArticleId)>,
}

impl Plan {
    fn new(cx: &Ctx<'_>, set: &Set) -> Plan {
        let groups = groups(cx, set.locale.as_deref(), &set.locales);
        let order = groups
            .iter()
            .enumerate()
            .flat_map(|(g, group)| group.articles.iter().map(move |&a| (g, a)))
            .collect();
        Plan { groups, order }
    }
}

/// The article texts of every set, links relative to each set's folder (or absolute under the site
/// URL). The root's set has every article, and a locale's set the root's articles of that locale
/// in the same order: each article is rendered once ([`Slotted`]) and its links filled in for the
/// root's set and for its locale's, instead of rendered once per set.
pub(super) fn texts(cx: &Ctx<'_>, sets: &[Set], out: &Path) -> Result<Vec<SetTexts>, RenderError> {
    let plans: Vec<Plan> = sets.iter().map(|set| Plan::new(cx, set)).collect();
    let shared = sets.first().is_some_and(|root| root.locale.is_none())
        && sets.iter().zip(&plans).skip(1).all(|(set, plan)| {
            let of_locale =
                plans[0].order.iter().filter(|(_, a)| Some(&cx.outline(*a).locale) == set.locale.as_ref());
            set.locale.is_some() && of_locale.map(|(_, a)| *a).eq(plan.order.iter().map(|(_, a)| *a))
        });
    if shared {
        return spool_texts(cx, sets, plans, out);
    }
    // Not the layout `sets` makes: each set is rendered on its own.
    let mut all = Vec::with_capacity(sets.len());
    for (set, plan) in sets.iter().zip(plans) {
        all.extend(spool_texts(cx, std::slice::from_ref(set), vec![plan], out)?);
    }
    Ok(all)
}

/// [`texts`] of `sets` as `plans` lay them out, where every set after the first is the first's
/// articles of its locale, in the first's order.
fn spool_texts(
    cx: &Ctx<'_>,
    sets: &[Set],
    plans: Vec<Plan>,
    out: &Path,
) -> Result<Vec<SetTexts>, RenderError> {
    let fulls: Vec<String> = sets.iter().map(|set| format!("{}llms-full.txt", set.dir)).collect();
    let links: Vec<Links> = fulls
        .iter()
        .map(|full| if cx.site_url().is_some() { Links::Site } else { Links::RelativeTo(full.clone()) })
        .collect();
    let mut orders = Vec::with_capacity(sets.len());
    let mut texts = Vec::with_capacity(sets.len());
    for (full, Plan { groups, order }) in fulls.iter().zip(plans) {
        let lens = vec![Vec::new(); groups.len()];
        texts.push(SetTexts { groups, spool: Spool::create(out, full)?, lens });
        orders.push(order);
    }
    // The set each article is in besides the first: its locale's.
    let of_locale = |a: ArticleId| {
        let locale = &cx.outline(a).locale;
        (1..sets.len()).find(|&k| sets[k].locale.as_ref() == Some(locale))
    };
    // Where each set is in its order.
    let mut next = vec![0; sets.len()];
    let Some(first) = orders.first() else { return Ok(texts) };
    for batch in first.chunks(super::STREAM_BATCH) {
        let rendered: Vec<Vec<(usize, String)>> = batch
            .par_iter()
            .map(|&(_, a)| {
                let article = cx.book.article(a)?;
                let slotted = Slotted::new(cx.book, a, &article);
                let page = urls::page_path(cx.outline(a), "html");
                let text = |k: usize| {
                    let source = cx.url_from(&fulls[k], &page, None);
                    (k, format!("<!-- source: {source} -->\n\n{}\n", slotted.article(&links[k])))
                };
                Ok(std::iter::once(0).chain(of_locale(a)).map(text).collect())
            })
            .collect::<Result<_, RenderError>>()?;
        for (&(_, a), per_set) in batch.iter().zip(rendered) {
            for (k, text) in per_set {
                // `texts` checked that the article is next in this set's order.
                let Some(&(g, _)) = orders[k].get(next[k]).filter(|(_, b)| *b == a) else {
                    return Err(RenderError {
                        path: out.join(&fulls[k]),
                        message: "an article of the `llms` files is out of order".into(),
                    });
                };
                next[k] += 1;
                let set = &mut texts[k];
                set.spool.write(b"\n")?;
                set.spool.write(text.as_bytes())?;
                set.lens[g].push(text.len());
            }
        }
    }
    Ok(texts)
}

/// Writes one folder's `llms.txt`, `llms-full.txt` and any parts into `out` from its article
/// texts ([`texts`]); returns their site paths. The full text is copied into its files once their
/// number is known.
pub(super) fn write(
    cx: &Ctx<'_>,
    set: &Set,
    texts: SetTexts,
    out: &Path,
) -> Result<Vec<String>, RenderError> {
    let (dir, locale, locales) = (set.dir.as_str(), set.locale.as_deref(), set.locales.as_slice());
    let index = format!("{dir}llms.txt");
    let full = format!("{dir}llms-full.txt");
    let max = usize::try_from(cx.book.config.output.json.llms_full_max_bytes).unwrap_or(usize::MAX);
    let SetTexts { groups, spool, lens } = texts;
    let mut texts = spool.into_reader()?;

    let head = heading(cx, locale);
    let total: usize = head.len() + lens.iter().flatten().map(|t| t + 1).sum::<usize>();
    let mut names = vec![index.clone()];
    let mut optional = Vec::new();
    if total <= max {
        let mut file = StreamedFile::create(out, &full)?;
        file.write(head.as_bytes())?;
        file.copy_from(&mut texts, (total - head.len()) as u64)?;
        file.finish()?;
        names.push(full.clone());
        optional
            .push(format!("- [Full text]({}): every article in one file", cx.url_from(&index, &full, None)));
    } else {
        let parts = split(&lens, max.saturating_sub(head.len() + 200));
        let mut listing = format!("{head}\nThe full text is split in {} parts:\n\n", parts.len());
        let mut lens = lens.iter().flatten();
        for (n, part) in parts.iter().enumerate() {
            let file = format!("{dir}llms-full-{}.txt", n + 1);
            let titles: Vec<&str> = part.groups.iter().map(|&g| groups[g].title.as_str()).collect();
            let mut text = StreamedFile::create(out, &file)?;
            text.write(
                format!("{}\nPart {} of {}: {}\n", head, n + 1, parts.len(), titles.join(", ")).as_bytes(),
            )?;
            let size: usize = lens.by_ref().take(part.texts).map(|t| t + 1).sum();
            text.copy_from(&mut texts, size as u64)?;
            text.finish()?;
            let link =
                format!("- [Part {}]({}): {}", n + 1, cx.url_from(&full, &file, None), titles.join(", "));
            listing.push_str(&link);
            listing.push('\n');
            optional.push(format!(
                "- [Full text, part {}]({}): {}",
                n + 1,
                cx.url_from(&index, &file, None),
                titles.join(", ")
            ));
            names.push(file);
        }
        write_file(out, &full, listing)?;
        names.push(full.clone());
    }
    if locale.is_none() {
        for l in locales {
            let file = format!("{}/llms.txt", l.to_lowercase());
            optional.push(format!("- [{l}]({}): the articles in {l} only", cx.url_from(&index, &file, None)));
        }
    }

    let mut text = heading(cx, locale);
    text.push_str("\nEach link is the Markdown version of an article; the HTML page is beside it.\n");
    for g in &groups {
        text.push_str(&format!("\n## {}\n\n", escape(&g.title)));
        for &a in &g.articles {
            let url = cx.url_from(&index, &urls::page_path(cx.outline(a), "md"), None);
            let mut line = format!("- [{}]({url})", escape(&cx.title(a)));
            if let Some(d) = cx.description(a) {
                line.push_str(": ");
                line.push_str(&one_line(&d));
            }
            text.push_str(&line);
            text.push('\n');
        }
    }
    text.push_str("\n## Optional\n\n");
    for line in optional {
        text.push_str(&line);
        text.push('\n');
    }
    write_file(out, &index, text)?;
    Ok(names)
}

/// A run of consecutive articles' texts.
struct Part {
    /// The groups it has articles of.
    groups: Vec<usize>,
    /// How many texts.
    texts: usize,
}

/// Packs groups into parts of at most `max` bytes, in order. A group larger than `max` is split
/// between articles; an article larger than `max` is a part of its own.
fn split(texts: &[Vec<usize>], max: usize) -> Vec<Part> {
    let mut parts: Vec<Part> = Vec::new();
    let mut size = 0;
    for (g, group_texts) in texts.iter().enumerate() {
        let group_size: usize = group_texts.iter().map(|t| t + 1).sum();
        let fits_whole = group_size <= max;
        if parts.is_empty() || (fits_whole && size + group_size > max) {
            parts.push(Part { groups: Vec::new(), texts: 0 });
            size = 0;
        }
        for t in group_texts {
            if !fits_whole && size + t + 1 > max && parts.last().is_some_and(|p| p.texts > 0) {
                parts.push(Part { groups: Vec::new(), texts: 0 });
                size = 0;
            }
            let Some(part) = parts.last_mut() else { continue };
            if part.groups.last() != Some(&g) {
                part.groups.push(g);
            }
            part.texts += 1;
            size += t + 1;
        }
    }
    parts
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('[', "\\[").replace(']', "\\]")
}
