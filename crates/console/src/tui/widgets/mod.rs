//! Pieces of the screen that every view shares: the header, tabs and footer rows, the virtualised
//! table, and the overlays (confirmation, help, palette suggestions).

pub mod age;
pub mod confirm;
pub mod footer;
pub mod header;
pub mod help;
pub mod palette;
pub mod pane;
pub mod popup;
pub mod table;
pub mod tabs;
