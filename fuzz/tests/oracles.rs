//! The fuzz targets' oracles catch what they are for and only that: a
//! printer that leaks is caught, one that quotes its own fixed words is not.

use auth_core_fuzz::d_is_never_printed;

const KEY: &[u8] = br#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#;

fn d_of(data: &[u8]) -> String {
    let value: serde_json::Value = serde_json::from_slice(data).unwrap_or_default();
    value["d"].as_str().unwrap_or_default().to_owned()
}

#[test]
#[should_panic(expected = "the private member was printed")]
fn a_printer_that_echoes_d_is_caught() {
    d_is_never_printed(KEY, |data| format!("bad key, d = {}", d_of(data)));
}

#[test]
#[should_panic(expected = "the private member was printed")]
fn a_printer_that_echoes_part_of_d_is_caught() {
    d_is_never_printed(KEY, |data| {
        let d = d_of(data);
        format!("bad key near {}", d.get(4..20).unwrap_or_default())
    });
}

#[test]
fn a_d_made_of_the_printers_own_words_is_not_a_leak() {
    let text = "`d` is not unpadded base64url";
    let key = format!(r#"{{"kty":"EC","crv":"P-256","d":" {text}"}}"#);
    // The printer shows the same words whatever `d` is.
    d_is_never_printed(key.as_bytes(), |_| format!("invalid key: {text}"));
}

#[test]
fn a_printer_that_hides_d_passes() {
    d_is_never_printed(KEY, |data| {
        format!("key of {} bytes, d: [REDACTED]", data.len())
    });
}

#[test]
fn a_d_quoted_with_its_rotation_in_another_member_is_not_a_leak() {
    // `kty` holds a run of `d` and that run rotated; the printer quotes `kty`.
    let key = br#"{"kty":"zzBwcHBwcHzzCxdICxdIzz","d":"BwcHBwcHBwcH"}"#;
    d_is_never_printed(key, |_| {
        "unsupported kty \"zzBwcHBwcHzzCxdICxdIzz\"".to_owned()
    });
}
