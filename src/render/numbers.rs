//! Numbers as Swedish readers expect them in the HTML: decimal comma, space as thousands
//! separator, the kind's decimals (one for shares and ratios, none for counts and kronor), and a
//! sign on changes (`+0,4`, `−1 234`).

use super::rows::Cell;
use crate::vocab::IndicatorKind;

/// The unit written after a value (empty for counts and ratios).
pub(crate) fn unit(kind: IndicatorKind) -> &'static str {
    match kind {
        IndicatorKind::Andel => "%",
        IndicatorKind::Kronor => "kr",
        IndicatorKind::Tkr => "tkr",
        IndicatorKind::Antal | IndicatorKind::Kvot => "",
    }
}

/// `v` with the kind's decimals, decimal comma and grouped thousands, e.g. `10 564 321` or
/// `4,3`; negative numbers get a true minus sign.
pub(crate) fn value(kind: IndicatorKind, v: f64) -> String {
    let (negative, digits) = unsigned(kind, v);
    if negative {
        format!("\u{2212}{digits}")
    } else {
        digits
    }
}

/// A change with its sign: `+0,4`, `−12`, `0,0`.
pub(crate) fn change(kind: IndicatorKind, v: f64) -> String {
    let (negative, digits) = unsigned(kind, v);
    if digits.chars().all(|c| c == '0' || c == ',') {
        digits
    } else if negative {
        format!("\u{2212}{digits}")
    } else {
        format!("+{digits}")
    }
}

/// A published cell: its value, or its marker.
pub(crate) fn cell(kind: IndicatorKind, cell: Cell) -> String {
    match cell {
        Cell::Value(v) => value(kind, v),
        Cell::Marker(status) => status.marker().to_string(),
    }
}

/// The rounded magnitude with Swedish separators, and whether the rounded value is negative.
fn unsigned(kind: IndicatorKind, v: f64) -> (bool, String) {
    let text = format!("{:.*}", kind.decimals() as usize, v.abs());
    let (int, frac) = match text.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (text.as_str(), None),
    };
    let mut grouped = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(' ');
        }
        grouped.push(c);
    }
    if let Some(f) = frac {
        grouped.push(',');
        grouped.push_str(f);
    }
    let is_zero = text.chars().all(|c| c == '0' || c == '.');
    (v < 0.0 && !is_zero, grouped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use IndicatorKind::*;

    #[test]
    fn shares_have_one_decimal_comma() {
        assert_eq!(value(Andel, 4.25), "4,2"); // 4.25 is 4.2499… in binary
        assert_eq!(value(Andel, 12.0), "12,0");
        assert_eq!(value(Kvot, 35.46), "35,5");
    }

    #[test]
    fn large_amounts_are_grouped_by_three() {
        assert_eq!(value(Kronor, 1234.0), "1 234");
        assert_eq!(value(Tkr, 10_564_321.0), "10 564 321");
        assert_eq!(value(Antal, 999.0), "999");
        assert_eq!(value(Antal, 100_000.0), "100 000");
    }

    #[test]
    fn changes_carry_a_sign_and_zero_none() {
        assert_eq!(change(Andel, 0.4), "+0,4");
        assert_eq!(change(Andel, -0.4), "\u{2212}0,4");
        assert_eq!(change(Andel, -0.04), "0,0");
        assert_eq!(change(Kronor, -1234.0), "\u{2212}1 234");
        assert_eq!(value(Kronor, -5.0), "\u{2212}5");
    }
}
