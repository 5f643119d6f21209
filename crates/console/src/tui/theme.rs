//! The console's styles, and how statuses map to them. Views ask the theme ("how does Degraded
//! look?") instead of naming colours, so NO_COLOR and user overrides apply everywhere at once.
//! With `no_color` every style is plain, bold or reversed only: status stays readable from the
//! words (and bold marks what is wrong), never from colour alone.

use ratatui::style::{Color, Modifier, Style};

use platdeck_core::platform::{
    HealthStatus, PolicyMode, PolicyResult, RolloutState, Severity, SourceHealth, SyncStatus,
};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Theme {
    pub no_color: bool,
    /// `platdeck` in the header.
    pub title: Style,
    /// Ordinary text.
    pub text: Style,
    /// Secondary text: ages, separators, "-" placeholders.
    pub muted: Style,
    /// Context and namespace in the header.
    pub accent: Style,
    /// The READ-ONLY badge.
    pub readonly: Style,
    /// The `service: ns/name` narrowing badge and the active filter.
    pub scope: Style,
    pub tab: Style,
    pub tab_active: Style,
    pub table_header: Style,
    /// The cursor row.
    pub selected: Style,
    pub border: Style,
    /// Healthy, Synced, Ready, Complete, pass.
    pub ok: Style,
    /// Progressing, OutOfSync, warn: needs a look.
    pub warn: Style,
    /// Degraded, CrashLoopBackOff, fail, forbidden: broken.
    pub error: Style,
    /// Neutral information (Suspended, Audit mode, notices).
    pub info: Style,
    /// Key names in hints and help.
    pub key: Style,
    /// The confirmation dialog's frame.
    pub dialog: Style,
}

/// Slot names users may override under `theme:` in the config, in field order.
pub const SLOTS: &[&str] = &[
    "title",
    "text",
    "muted",
    "accent",
    "readonly",
    "scope",
    "tab",
    "tab_active",
    "table_header",
    "selected",
    "border",
    "ok",
    "warn",
    "error",
    "info",
    "key",
    "dialog",
];

impl Theme {
    pub fn new(no_color: bool) -> Self {
        let plain = Style::new();
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let reversed = Style::new().add_modifier(Modifier::REVERSED);
        if no_color {
            return Self {
                no_color,
                title: bold,
                text: plain,
                muted: plain,
                accent: bold,
                readonly: reversed.add_modifier(Modifier::BOLD),
                scope: bold,
                tab: plain,
                tab_active: reversed.add_modifier(Modifier::BOLD),
                table_header: bold,
                selected: reversed,
                border: plain,
                ok: plain,
                warn: bold,
                error: bold,
                info: plain,
                key: bold,
                dialog: bold,
            };
        }
        Self {
            no_color,
            title: bold.fg(Color::Cyan),
            text: plain,
            muted: plain.fg(Color::DarkGray),
            accent: plain.fg(Color::LightBlue),
            readonly: bold.fg(Color::Black).bg(Color::Yellow),
            scope: bold.fg(Color::Magenta),
            tab: plain.fg(Color::Gray),
            tab_active: bold.fg(Color::Black).bg(Color::Cyan),
            table_header: bold.fg(Color::Yellow),
            selected: plain.bg(Color::Indexed(237)).add_modifier(Modifier::BOLD),
            border: plain.fg(Color::DarkGray),
            ok: plain.fg(Color::Green),
            warn: plain.fg(Color::Yellow),
            error: bold.fg(Color::LightRed),
            info: plain.fg(Color::LightBlue),
            key: bold.fg(Color::Cyan),
            dialog: bold.fg(Color::Yellow),
        }
    }

    /// The theme as configured: `theme.no_color` wins over the environment's `NO_COLOR`, and slot
    /// colours override the foreground of the default (ignored under no_color; unknown slots are
    /// ignored here — config validation can check names against [`SLOTS`]).
    pub fn configured(config: &crate::config::Theme, env_no_color: bool) -> Self {
        let mut theme = Self::new(config.no_color.unwrap_or(env_no_color));
        if theme.no_color {
            return theme;
        }
        for (slot, color) in &config.styles {
            if let Some(style) = theme.slot_mut(slot) {
                *style = style.fg(ratatui_color(*color));
            }
        }
        theme
    }

    fn slot_mut(&mut self, slot: &str) -> Option<&mut Style> {
        Some(match slot {
            "title" => &mut self.title,
            "text" => &mut self.text,
            "muted" => &mut self.muted,
            "accent" => &mut self.accent,
            "readonly" => &mut self.readonly,
            "scope" => &mut self.scope,
            "tab" => &mut self.tab,
            "tab_active" => &mut self.tab_active,
            "table_header" => &mut self.table_header,
            "selected" => &mut self.selected,
            "border" => &mut self.border,
            "ok" => &mut self.ok,
            "warn" => &mut self.warn,
            "error" => &mut self.error,
            "info" => &mut self.info,
            "key" => &mut self.key,
            "dialog" => &mut self.dialog,
            _ => return None,
        })
    }

    pub fn sync(&self, sync: SyncStatus) -> Style {
        match sync {
            SyncStatus::Synced => self.ok,
            SyncStatus::OutOfSync => self.warn,
            SyncStatus::Unknown => self.muted,
        }
    }

    pub fn health(&self, health: HealthStatus) -> Style {
        match health {
            HealthStatus::Healthy => self.ok,
            HealthStatus::Progressing => self.warn,
            HealthStatus::Suspended => self.info,
            HealthStatus::Missing | HealthStatus::Degraded => self.error,
            HealthStatus::Unknown => self.muted,
        }
    }

    pub fn rollout(&self, rollout: RolloutState) -> Style {
        match rollout {
            RolloutState::Complete => self.ok,
            RolloutState::Progressing => self.warn,
            RolloutState::Stalled => self.error,
            RolloutState::Paused => self.info,
            RolloutState::Unknown => self.muted,
        }
    }

    /// A pod's STATUS column: waiting/terminated reasons that mean "broken" are errors.
    pub fn pod_status(&self, status: &str, ready: bool) -> Style {
        match status {
            "Running" if ready => self.ok,
            "Succeeded" | "Completed" => self.muted,
            "CrashLoopBackOff"
            | "Error"
            | "OOMKilled"
            | "ImagePullBackOff"
            | "ErrImagePull"
            | "CreateContainerConfigError"
            | "CreateContainerError"
            | "InvalidImageName"
            | "Failed"
            | "Evicted"
            | "Unknown" => self.error,
            _ => self.warn,
        }
    }

    /// Argo CD operation phases.
    pub fn operation(&self, phase: &str) -> Style {
        match phase {
            "Succeeded" => self.ok,
            "Running" | "Terminating" => self.warn,
            "Failed" | "Error" => self.error,
            _ => self.muted,
        }
    }

    pub fn policy_result(&self, result: PolicyResult) -> Style {
        match result {
            PolicyResult::Pass => self.ok,
            PolicyResult::Warn => self.warn,
            PolicyResult::Fail | PolicyResult::Error => self.error,
            PolicyResult::Skip => self.muted,
        }
    }

    pub fn severity(&self, severity: Severity) -> Style {
        match severity {
            Severity::Critical | Severity::High => self.error,
            Severity::Medium => self.warn,
            Severity::Low | Severity::Info => self.text,
            Severity::Unknown => self.muted,
        }
    }

    /// Enforce blocks admissions, so it stands out; Audit only reports.
    pub fn policy_mode(&self, mode: PolicyMode) -> Style {
        match mode {
            PolicyMode::Enforce => self.warn,
            PolicyMode::Audit => self.info,
            PolicyMode::Unknown => self.muted,
        }
    }

    pub fn source(&self, health: &SourceHealth) -> Style {
        match health {
            SourceHealth::Connected => self.ok,
            SourceHealth::Connecting => self.muted,
            SourceHealth::Stale { .. } => self.warn,
            SourceHealth::NotInstalled => self.info,
            SourceHealth::Forbidden { .. } | SourceHealth::Error { .. } => self.error,
        }
    }
}

fn ratatui_color(color: crate::config::Color) -> Color {
    use crate::config::Color as C;
    match color {
        C::Reset => Color::Reset,
        C::Black => Color::Black,
        C::Red => Color::Red,
        C::Green => Color::Green,
        C::Yellow => Color::Yellow,
        C::Blue => Color::Blue,
        C::Magenta => Color::Magenta,
        C::Cyan => Color::Cyan,
        C::Gray => Color::Gray,
        C::DarkGray => Color::DarkGray,
        C::LightRed => Color::LightRed,
        C::LightGreen => Color::LightGreen,
        C::LightYellow => Color::LightYellow,
        C::LightBlue => Color::LightBlue,
        C::LightMagenta => Color::LightMagenta,
        C::LightCyan => Color::LightCyan,
        C::White => Color::White,
        C::Indexed(i) => Color::Indexed(i),
        C::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(theme: &Theme) -> Vec<Style> {
        vec![
            theme.title,
            theme.text,
            theme.muted,
            theme.accent,
            theme.readonly,
            theme.scope,
            theme.tab,
            theme.tab_active,
            theme.table_header,
            theme.selected,
            theme.border,
            theme.ok,
            theme.warn,
            theme.error,
            theme.info,
            theme.key,
            theme.dialog,
        ]
    }

    #[test]
    fn no_color_is_plain_bold_or_reversed() {
        let allowed = Modifier::BOLD | Modifier::REVERSED;
        for style in all(&Theme::new(true)) {
            assert_eq!(style.fg, None);
            assert_eq!(style.bg, None);
            assert!(allowed.contains(style.add_modifier), "{style:?}");
        }
    }

    #[test]
    fn every_slot_is_overridable() {
        let mut theme = Theme::new(false);
        for slot in SLOTS {
            assert!(theme.slot_mut(slot).is_some(), "{slot}");
        }
        assert_eq!(SLOTS.len(), all(&theme).len());
    }

    #[test]
    fn config_overrides_and_no_color_wins() {
        let mut config = crate::config::Theme::default();
        config.styles.insert("error".into(), crate::config::Color::Rgb(255, 95, 95));
        config.styles.insert("nonsense".into(), crate::config::Color::Red);
        assert_eq!(Theme::configured(&config, false).error.fg, Some(Color::Rgb(255, 95, 95)));
        assert!(Theme::configured(&config, true).no_color);
        config.no_color = Some(false);
        assert!(!Theme::configured(&config, true).no_color);
    }
}
