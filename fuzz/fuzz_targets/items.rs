//! The item syntax parser: any text, parsed then inserted, must not panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let mut target = serde_json::Map::new();
    // Several items into one object, to exercise merging and type conflicts.
    for part in text.split('\n').take(8) {
        if let Ok(item) = part.parse::<cio::items::Item>() {
            let _ = item.insert_into(&mut target);
        }
    }
});
