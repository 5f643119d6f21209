//! Text from the cluster (names, messages, reasons) is untrusted: a hostile event message could
//! carry escape sequences that clear the screen, retitle the window, write the clipboard (OSC 52)
//! or reorder what the SRE reads (bidi overrides). `clean` turns any string into inert,
//! single-line printable text before it reaches a cell.

use std::borrow::Cow;

/// ESC: starts every 7-bit escape sequence.
const ESC: char = '\u{1b}';
/// BEL: ends an OSC in xterm's dialect.
const BEL: char = '\u{07}';
/// C1 String Terminator.
const ST: char = '\u{9c}';

/// Strips control characters, ANSI CSI/OSC/DCS/SOS/PM/APC sequences (7- and 8-bit forms), other
/// C1 controls and invisible direction/format controls; tabs and line breaks become one space each.
/// Borrows when the text is already clean (the common case), so callers pay nothing for it.
pub fn clean(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_work) {
        return Cow::Borrowed(text);
    }
    // Dirty text is rare; a char vector keeps the look-ahead of the escape parser simple.
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while let Some(&c) = chars.get(i) {
        i += 1;
        match c {
            ESC => match chars.get(i) {
                Some('[') => i = skip_csi(&chars, i + 1),
                Some(']' | 'P' | 'X' | '^' | '_') => i = skip_string(&chars, i + 1),
                // Two-character escapes (`ESC c` resets the terminal), after optional intermediates.
                Some(_) => {
                    while chars.get(i).is_some_and(|c| ('\u{20}'..='\u{2f}').contains(c)) {
                        i += 1;
                    }
                    if chars.get(i).is_some_and(|c| !c.is_control()) {
                        i += 1;
                    }
                }
                None => {}
            },
            '\u{9b}' => i = skip_csi(&chars, i),
            '\u{9d}' | '\u{90}' | '\u{98}' | '\u{9e}' | '\u{9f}' => i = skip_string(&chars, i),
            '\r' => {
                // CRLF is one line break, so one space.
                if chars.get(i) == Some(&'\n') {
                    i += 1;
                }
                out.push(' ');
            }
            '\t' | '\n' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}' => out.push(' '),
            c if is_dropped(c) => {}
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn needs_work(c: char) -> bool {
    c.is_control() || is_dropped(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// Characters removed outright: C0/C1 controls and DEL, bidi embeddings, overrides and isolates,
/// directional marks, and invisible characters used to spoof names.
fn is_dropped(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200b}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'
                | '\u{2066}'..='\u{2069}'
                | '\u{feff}'
                | '\u{fff9}'..='\u{fffb}'
        )
}

/// CSI: parameter and intermediate bytes, then one final byte (0x40–0x7E); returns the index
/// after it. Anything else ends the sequence and is parsed again (it may start a new one).
fn skip_csi(chars: &[char], mut i: usize) -> usize {
    while chars.get(i).is_some_and(|c| ('\u{20}'..='\u{3f}').contains(c)) {
        i += 1;
    }
    if chars.get(i).is_some_and(|c| ('\u{40}'..='\u{7e}').contains(c)) {
        i += 1;
    }
    i
}

/// OSC, DCS, SOS, PM, APC: everything up to the string terminator (ST, `ESC \`, or BEL for
/// xterm's OSC); returns the index after it. Another ESC aborts the string, as terminals do, and
/// is parsed again as the start of a new sequence. An unterminated string swallows the rest.
fn skip_string(chars: &[char], mut i: usize) -> usize {
    while let Some(&c) = chars.get(i) {
        match c {
            BEL | ST => return i + 1,
            ESC if chars.get(i + 1) == Some(&'\\') => return i + 2,
            ESC => return i,
            _ => i += 1,
        }
    }
    i
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_inert(s: &str) -> bool {
        !s.chars().any(|c| c.is_control() || is_dropped(c))
    }

    #[test]
    fn clean_text_is_borrowed() {
        assert!(matches!(clean("payments-api-7d9f8b6c5d-x2x9z"), Cow::Borrowed(_)));
        assert!(matches!(clean("Back-off restarting failed container — ünïcödé ✓"), Cow::Borrowed(_)));
    }

    #[test]
    fn hostile_corpus_becomes_inert() {
        let cases: &[(&str, &str)] = &[
            ("\x1b[2Jcleared", "cleared"),
            ("a\x1b[1;31mred\x1b[0mb", "aredb"),
            ("\x1b]0;title\x07after", "after"),
            ("\x1b]52;c;ZXZpbA==\x07copy", "copy"),
            ("\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
            ("\x1bPq#0;2;0;0;0\x1b\\sixel", "sixel"),
            ("\u{9b}31mc1", "c1"),
            ("\u{9d}0;title\u{9c}osc8bit", "osc8bit"),
            ("\u{90}dcs\u{9c}x", "x"),
            ("user\u{202e}gpj.exe", "usergpj.exe"),
            ("\u{2066}iso\u{2069}\u{200f}", "iso"),
            ("bell\x07 nul\0 del\x7f", "bell nul del"),
            ("line1\nline2\r\nline3\ttab", "line1 line2 line3 tab"),
            ("\x1bcreset", "reset"),
            ("\x1b(Bcharset", "charset"),
            ("trailing escape\x1b", "trailing escape"),
            ("unterminated \x1b]0;forever", "unterminated "),
            ("\x1b]0;t\x1b[31mafter", "after"),
            ("\x1b[\x1b]0;nested\x07ok", "ok"),
            ("\u{85}next\u{2028}sep", " next sep"),
        ];
        for (input, want) in cases {
            let got = clean(input);
            assert_eq!(got, *want, "input {input:?}");
            assert!(is_inert(&got), "{input:?} left {got:?}");
        }
    }

    #[test]
    fn any_byte_soup_is_inert() {
        // Every ASCII/C1 control in every position: the result never carries one.
        let mut soup = String::new();
        for c in (0u32..0xa0).filter_map(char::from_u32) {
            soup.push(c);
            soup.push('x');
        }
        assert!(is_inert(&clean(&soup)));
    }
}
