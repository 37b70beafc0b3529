//! The envelope: any JSON object completed and validated must not panic, and
//! what passes must pass validation again and stay within the size limit.
#![no_main]
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(Value::Object(mut call)) = serde_json::from_slice::<Value>(data) else { return };
    let mut next = || "fuzz-id".to_string();
    let mut fill = cio::envelope::Fill { now: "2026-11-28T15:01:30.212Z", message_id: &mut next, force_library: false, page_from_url: true, any_time: false };
    if cio::envelope::complete(&mut call, &mut fill).is_ok() {
        assert!(cio::envelope::validate(&call).is_ok(), "a completed call validates");
        assert!(call.contains_key("messageId") && call.contains_key("timestamp"));
    }
});
