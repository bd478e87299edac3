//! Durations as messages write them for people: `3d 4h`, `59s`.

/// Seconds in each unit, by its letter, largest first.
const UNITS: &[(char, u64)] = &[('d', 86_400), ('h', 3_600), ('m', 60), ('s', 1)];

/// 273600 → `3d 4h`: the two largest units, for messages.
pub fn human_duration(seconds: u64) -> String {
    let mut parts = Vec::new();
    let mut rest = seconds;
    for (letter, size) in UNITS {
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
    fn durations_for_people() {
        assert_eq!(human_duration(0), "0s");
        assert_eq!(human_duration(59), "59s");
        assert_eq!(human_duration(3_600), "1h");
        assert_eq!(human_duration(273_600), "3d 4h");
        assert_eq!(human_duration(90_061), "1d 1h");
        assert_eq!(human_duration(3_661), "1h 1m");
    }
}
