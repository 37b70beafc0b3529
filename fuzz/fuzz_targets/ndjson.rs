//! The NDJSON line reader, the pretty-printed value splitter and per-line
//! preparation: any bytes, split with a small limit, must not panic; every
//! accepted line is a valid call under 32 KB.
#![no_main]
use libfuzzer_sys::fuzz_target;

use cio::batch::prepare::{prepare, Defaults, LineId};
use cio::batch::reader::{LineReader, ValueReader};

fuzz_target!(|data: &[u8]| {
    let mut lines = LineReader::new(std::io::BufReader::with_capacity(7, data), 4096);
    let mut buf = Vec::new();
    let defaults = Defaults { call_type: Some("track".into()), ..Defaults::default() };
    while let Ok(Some(line)) = lines.next_line(&mut buf) {
        assert!(buf.len() <= 4096 && line.full_len >= buf.len());
        if let Ok(json) = prepare(&buf, LineId { run: uuid::Uuid::nil(), source: 0, line: line.number }, &defaults, "2026-11-28T15:01:30.212Z") {
            assert!(json.len() <= cio::envelope::MAX_CALL_BYTES);
            let v: serde_json::Value = serde_json::from_str(&json).unwrap();
            assert!(v["messageId"].is_string());
        }
    }
    let mut values = ValueReader::new(std::io::BufReader::with_capacity(7, data), 4096);
    let mut last = 0;
    while let Ok(Some(value)) = values.next_value(&mut buf) {
        assert!(buf.len() <= 4096 && value.full_len >= buf.len());
        assert!(value.number >= last, "values come in line order");
        last = value.number;
    }
});
