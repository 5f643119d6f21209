//! The scaffold form, floating over the current view: the fields with each one's error right under it,
//! then the preview of every file to be written (the service's and the GitOps repository's), then the
//! confirmation naming context and namespace.

use ratatui::Frame;
use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Padding, Paragraph, Wrap};

use crate::tui::scaffold_form::{Field, Preview, ScaffoldForm, Stage};
use crate::tui::state::State;
use crate::tui::theme::Theme;
use crate::tui::widgets::popup;
use platdeck_core::sanitize::clean;

const MAX_WIDTH: u16 = 96;
const LABEL_WIDTH: usize = 13;

fn hint(theme: &Theme, pairs: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (i, (key, what)) in pairs.iter().enumerate() {
        if i > 0 {
            spans.push(Span::styled(" · ", theme.muted));
        }
        spans.push(Span::styled(key.to_string(), theme.key));
        spans.push(Span::styled(format!(" {what}"), theme.muted));
    }
    Line::from(spans).alignment(Alignment::Center)
}

fn label(text: &str, theme: &Theme) -> Span<'static> {
    Span::styled(format!("{text:<LABEL_WIDTH$}"), theme.muted)
}

fn form_lines(state: &State, form: &ScaffoldForm, theme: &Theme) -> Vec<Line<'static>> {
    let existing: Vec<String> = state.services.iter().map(|s| s.key.name.clone()).collect();
    let mut lines = vec![Line::raw("")];
    for field in Field::ALL {
        let active = form.field == field && form.stage == Stage::Editing;
        let marker = if active { "› " } else { "  " };
        let mut value = clean(form.value(field)).into_owned();
        if field == Field::Template {
            value = format!("◂ {value} ▸  ({} of {})", form.template + 1, form.templates.len());
        } else if active {
            value.push('▏');
        }
        let style = if active { theme.selected } else { theme.text };
        lines.push(Line::from(vec![
            Span::styled(marker.to_string(), theme.accent),
            label(field.label(), theme),
            Span::styled(value, style),
        ]));
        if let Some(error) = form.error_for(field, &existing) {
            lines.push(Line::from(vec![
                Span::raw(format!("  {:<LABEL_WIDTH$}", "")),
                Span::styled(clean(&error).into_owned(), theme.error),
            ]));
        }
    }
    lines.push(Line::raw(""));
    match (&form.stage, &form.error) {
        (Stage::Planning, _) => lines.push(Line::styled("  rendering and checking …", theme.info)),
        (_, Some(error)) => lines.push(Line::styled(format!("  {}", clean(error)), theme.error)),
        _ => {}
    }
    lines.push(Line::raw(""));
    lines.push(hint(
        theme,
        &[
            ("tab", "next field"),
            ("←/→", "template"),
            ("enter", "next · preview on the last"),
            ("esc", "cancel"),
        ],
    ));
    lines
}

fn preview_lines(preview: &Preview, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::raw(""), Line::styled(format!("  {}/", clean(&preview.dir)), theme.accent)];
    for file in &preview.files {
        lines.push(Line::styled(format!("    {}", clean(file)), theme.text));
    }
    if let Some((repo, files)) = &preview.gitops {
        lines.push(Line::raw(""));
        lines.push(Line::styled(format!("  GitOps repository {} (committed):", clean(repo)), theme.accent));
        for file in files {
            lines.push(Line::styled(format!("    {}", clean(file)), theme.text));
        }
    }
    if let Some((ns, name)) = &preview.mutation.application {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            format!("  Argo CD: application.argoproj.io/{} created in namespace {}", clean(name), clean(ns)),
            theme.accent,
        ));
    }
    lines.push(Line::raw(""));
    lines.push(hint(theme, &[("enter", "continue"), ("esc", "back to the form")]));
    lines
}

fn confirm_lines(preview: &Preview, theme: &Theme) -> Vec<Line<'static>> {
    let m = &preview.mutation;
    let field = |name: &str, value: String| {
        Line::from(vec![label(name, theme), Span::styled(clean(&value).into_owned(), theme.accent)])
    };
    let mut lines =
        vec![Line::raw(""), Line::styled(clean(&m.to_string()).into_owned(), theme.text), Line::raw("")];
    lines.push(field("context", m.context.clone()));
    lines.push(field("namespace", m.namespace.clone()));
    lines.push(field("directory", preview.dir.clone()));
    if let Some((repo, branch)) = &m.gitops {
        lines.push(field("gitops", format!("{} ({branch})", repo.display())));
    }
    if let Some((ns, name)) = &m.application {
        lines.push(field("application", format!("{name} in {ns}")));
    }
    lines.push(Line::raw(""));
    lines.push(hint(theme, &[("y", "scaffold"), ("n", "back")]));
    lines
}

pub fn draw(state: &State, form: &ScaffoldForm, theme: &Theme, frame: &mut Frame, area: Rect) {
    if area.is_empty() {
        return;
    }
    let (title, lines) = match &form.stage {
        Stage::Editing | Stage::Planning => (" New service (golden path) ", form_lines(state, form, theme)),
        Stage::Preview(preview) => (" Preview: files to be written ", preview_lines(preview, theme)),
        Stage::Confirm(preview) => (" Confirm: scaffold ", confirm_lines(preview, theme)),
    };
    let width = MAX_WIDTH.min(area.width);
    // Wrapped lines may take more rows than lines: leave room for a few.
    let height = u16::try_from(lines.len() + 4).unwrap_or(u16::MAX);
    let rect = popup::centered(area, width, height);
    popup::clear(frame, rect);
    let block = Block::new()
        .borders(Borders::ALL)
        .border_style(theme.dialog)
        .padding(Padding::horizontal(1))
        .title(Span::styled(title, theme.dialog));
    frame.render_widget(Paragraph::new(lines).block(block).wrap(Wrap { trim: false }), rect);
}
