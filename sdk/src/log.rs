//! Logging from inside a plugin: lines go to the host's log, tagged with plugin and target.
//! Natively (unit tests) they go to standard error.

use crate::bindings::demarc::provider::host::Level;

fn write(level: Level, message: &str) {
    #[cfg(target_arch = "wasm32")]
    crate::bindings::demarc::provider::host::log(level, message);
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("[{level:?}] {message}");
}

/// Log at debug level.
pub fn debug(message: &str) {
    write(Level::Debug, message);
}
/// Log at info level.
pub fn info(message: &str) {
    write(Level::Info, message);
}
/// Log at warn level.
pub fn warn(message: &str) {
    write(Level::Warn, message);
}
/// Log at error level.
pub fn error(message: &str) {
    write(Level::Error, message);
}
