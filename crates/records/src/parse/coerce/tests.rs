//! Tests of `coerce`.

use super::*;

#[test]
fn text_takes_strings_numbers_and_booleans() {
    assert_eq!(text("f", Some(r#""a\"b""#)), Ok(Some("a\"b".into())));
    assert_eq!(text("f", Some(r#""caf\u00e9""#)), Ok(Some("café".into())));
    assert_eq!(text("f", Some("112")), Ok(Some("112".into())));
    assert_eq!(text("f", Some("1.50")), Ok(Some("1.50".into())));
    assert_eq!(text("f", Some("1e2")), Ok(Some("1e2".into())));
    assert_eq!(text("f", Some("-0")), Ok(Some("-0".into())));
    assert_eq!(text("f", Some("true")), Ok(Some("true".into())));
    assert_eq!(text("f", Some("false")), Ok(Some("false".into())));
    assert_eq!(text("f", Some(r#""""#)), Ok(Some("".into())));
    assert_eq!(text("f", Some("null")), Ok(None));
    assert_eq!(text("f", None), Ok(None));
    assert!(text("f", Some("{}"))
        .unwrap_err()
        .to_string()
        .contains("an object"));
    assert!(text("f", Some("[1]"))
        .unwrap_err()
        .to_string()
        .contains("an array"));
}

#[test]
fn integers_from_numbers_must_be_integral() {
    assert_eq!(int32("f", Some("39")), Ok(Some(39)));
    assert_eq!(int32("f", Some("39.0")), Ok(Some(39)));
    assert_eq!(int32("f", Some("3.9e1")), Ok(Some(39)));
    assert_eq!(int32("f", Some("390E-1")), Ok(Some(39)));
    assert_eq!(int32("f", Some("-0.0")), Ok(Some(0)));
    assert_eq!(int32("f", Some("0e-5")), Ok(Some(0)));
    assert!(int32("f", Some("39.5")).is_err());
    assert!(int32("f", Some("1e-1")).is_err());
    assert!(int32("f", Some("2147483648")).is_err());
    assert_eq!(int32("f", Some("-2147483648")), Ok(Some(i32::MIN)));
    assert_eq!(int64("f", Some("9223372036854775807")), Ok(Some(i64::MAX)));
    assert_eq!(int64("f", Some("-9223372036854775808")), Ok(Some(i64::MIN)));
    assert!(int64("f", Some("9223372036854775808")).is_err());
    assert!(int64("f", Some("1e999999999999")).is_err());
    assert_eq!(
        int64("f", Some("1541105830796.0")),
        Ok(Some(1_541_105_830_796))
    );
}

#[test]
fn integers_from_strings_are_signed_digits() {
    assert_eq!(int32("f", Some(r#""39""#)), Ok(Some(39)));
    assert_eq!(int32("f", Some(r#"" -7 ""#)), Ok(Some(-7)));
    assert_eq!(int32("f", Some(r#""\t+7\r\n""#)), Ok(Some(7)));
    assert_eq!(int32("f", Some(r#""""#)), Ok(None));
    assert_eq!(int32("f", Some(r#""  ""#)), Ok(None));
    assert!(int32("f", Some(r#""39.0""#)).is_err());
    assert!(int32("f", Some(r#""1e2""#)).is_err());
    assert!(int32("f", Some(r#""abc""#)).is_err());
    assert!(int32("f", Some(r#""-""#)).is_err());
    assert!(int32("f", Some(r#""٣""#)).is_err());
    assert!(int32("f", Some("\"\u{a0}7\"")).is_err());
    assert!(int32("f", Some("true")).is_err());
    assert!(int32("f", Some("[1]"))
        .unwrap_err()
        .to_string()
        .contains("an array"));
}

#[test]
fn doubles_from_numbers_and_decimal_strings() {
    assert_eq!(double("f", Some("218.93179")), Ok(Some(218.93179)));
    assert_eq!(double("f", Some(r#""218.93179""#)), Ok(Some(218.93179)));
    assert_eq!(double("f", Some(r#""2.1e2""#)), Ok(Some(210.0)));
    assert_eq!(double("f", Some(r#"" .5 ""#)), Ok(Some(0.5)));
    assert_eq!(double("f", Some(r#""5.""#)), Ok(Some(5.0)));
    assert_eq!(double("f", Some(r#""""#)), Ok(None));
    assert_eq!(
        double("f", Some("-0.0")).unwrap().unwrap().to_bits(),
        (-0.0f64).to_bits()
    );
    for bad in [
        r#""nan""#,
        r#""inf""#,
        r#""Infinity""#,
        r#""1_000""#,
        r#""1e""#,
        r#""e5""#,
        r#"".""#,
        "1e400",
        "-1e400",
        "1e-400",
        r#""0x10""#,
    ] {
        assert!(double("f", Some(bad)).is_err(), "{bad} should be refused");
    }
    assert_eq!(double("f", Some("0e-400")), Ok(Some(0.0)));
    assert!(double("f", Some("false")).is_err());
}

#[test]
fn escapes_decode_as_serde_json_decodes_them() {
    for raw in [
        r#""plain""#,
        r#""\"Mozilla\/5.0\" \\ \b\f\n\r\t""#,
        r#""caf\u00e9 \u20ac \ud83d\ude00 end""#,
        r#""\u0041\u004a""#,
    ] {
        let expected: String = serde_json::from_str(raw).unwrap();
        assert_eq!(decode_string("f", raw).unwrap(), expected, "{raw}");
    }
    assert_eq!(unescape(r"\q"), None);
    assert_eq!(unescape(r"\u12"), None);
}
