//! Durations as people write them for waiting periods: `3d`, `12h`, `90m`, `1w`, `2d12h`, or a number of
//! seconds.

/// Seconds in each unit, by its letter.
const UNITS: &[(char, u64)] = &[
    ('w', 604_800),
    ('d', 86_400),
    ('h', 3_600),
    ('m', 60),
    ('s', 1),
];

/// `3d` → 259200. Parts are a number and a unit, largest first or not; a bare number is seconds. At most
/// ten years.
pub fn parse_duration(text: &str) -> Result<u64, String> {
    let bad = || {
        format!(
            "{text:?} is not a duration (a number and a unit: 3d, 12h, 90m, 1w, 2d12h, or seconds)"
        )
    };
    let text_trimmed = text.trim();
    if text_trimmed.is_empty() {
        return Err(bad());
    }
    if let Ok(n) = text_trimmed.parse::<u64>() {
        return check(n, text);
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text_trimmed.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = UNITS.iter().find(|(u, _)| *u == c).ok_or_else(bad)?.1;
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    check(total, text)
}

fn check(seconds: u64, text: &str) -> Result<u64, String> {
    const MAX: u64 = 10 * 365 * 86_400;
    if seconds > MAX {
        return Err(format!("{text:?} is longer than ten years"));
    }
    Ok(seconds)
}

/// 216000 → `2d12h`: every unit, as `pin.toml` takes it back (`0` for none).
pub fn exact_duration(seconds: u64) -> String {
    if seconds == 0 {
        return "0".to_string();
    }
    let mut text = String::new();
    let mut rest = seconds;
    for (letter, size) in UNITS {
        if rest >= *size {
            text.push_str(&format!("{}{letter}", rest / size));
            rest %= size;
        }
    }
    text
}

/// 273600 → `3d 4h`: the two largest units, for messages.
pub fn human_duration(seconds: u64) -> String {
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (letter, size) in &UNITS[1..] {
        if rest >= *size || (parts.is_empty() && *size == 1) {
            parts.push(format!("{}{letter}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 {
            break;
        }
    }
    parts.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_as_written() {
        assert_eq!(parse_duration("3d"), Ok(259_200));
        assert_eq!(parse_duration("12h"), Ok(43_200));
        assert_eq!(parse_duration("90m"), Ok(5_400));
        assert_eq!(parse_duration("1w"), Ok(604_800));
        assert_eq!(parse_duration("2d12h"), Ok(216_000));
        assert_eq!(parse_duration("45"), Ok(45));
        assert_eq!(parse_duration("0"), Ok(0));
        for bad in ["", "d", "3x", "3d4", "-1d", "3 d", "99999999999999999999w"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert!(parse_duration("11y").is_err());
        assert!(parse_duration("600w").unwrap_err().contains("ten years"));
    }

    #[test]
    fn exact_durations_read_back() {
        for (seconds, text) in [
            (0, "0"),
            (259_200, "3d"),
            (216_000, "2d12h"),
            (604_861, "1w1m1s"),
        ] {
            assert_eq!(exact_duration(seconds), text);
            assert_eq!(parse_duration(text), Ok(seconds));
        }
    }

    #[test]
    fn durations_for_people() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(3_600), "1h");
        assert_eq!(human_duration(273_600), "3d 4h");
        assert_eq!(human_duration(90_061), "1d 1h");
        assert_eq!(human_duration(3_661), "1h 1m");
    }
}
