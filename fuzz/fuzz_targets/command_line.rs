//! Lines typed into `bus shell` (or a CLI invocation's words): parsing never panics, and a parsed command prints
//! to a line that parses back to the same command.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|line: &str| {
    if let Ok(command) = bus_command::parse_line(line) {
        let printed = command.to_string();
        assert_eq!(bus_command::parse_line(&printed).ok(), Some(command), "{line:?} printed as {printed:?}");
    }
});
