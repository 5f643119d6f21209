//! Owning the terminal: raw mode, alternate screen and mouse capture on entry, and restored on every
//! exit path — normal return, error (the guard drops) and panic (the hook restores first).

use std::io::stdout;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::execute;
use ratatui::DefaultTerminal;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    pub terminal: DefaultTerminal,
}

impl TerminalGuard {
    pub fn enter() -> std::io::Result<Self> {
        // ratatui::init installs a panic hook that restores the terminal before the report prints.
        let terminal = ratatui::try_init()?;
        if let Err(err) = execute!(stdout(), EnableMouseCapture) {
            ratatui::restore();
            return Err(err);
        }
        Ok(Self { terminal })
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        let _ = execute!(stdout(), DisableMouseCapture);
        ratatui::restore();
    }
}
