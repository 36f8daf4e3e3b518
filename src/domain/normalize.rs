//! Text folding applied before any parse: appellants paste from Chinese keyboards and receipts.

/// Folds full-width ASCII variants (U+FF01..=U+FF5E, e.g. '１', 'Ａ', '：', '＠') to ASCII and
/// the ideographic space U+3000 to ' '. Everything else is kept as it is.
pub fn ascii_fold(s: &str) -> String {
    s.chars().map(fold_char).collect()
}

fn fold_char(c: char) -> char {
    const FULL_WIDTH_OFFSET: u32 = 0xFF01 - 0x21;
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - FULL_WIDTH_OFFSET).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn folds_full_width_digits_letters_and_punctuation() {
        assert_eq!(ascii_fold("１２３４５６７８９０"), "1234567890");
        assert_eq!(ascii_fold("ＡＢＣｘｙｚ"), "ABCxyz");
        assert_eq!(ascii_fold("１４：３０：０５"), "14:30:05");
        assert_eq!(ascii_fold("ｎａｍｅ＠ｑｑ．ｃｏｍ"), "name@qq.com");
        assert_eq!(ascii_fold("！～"), "!~");
    }

    #[test]
    fn folds_ideographic_space() {
        assert_eq!(ascii_fold("１０\u{3000}２０"), "10 20");
    }

    #[test]
    fn keeps_everything_else() {
        assert_eq!(
            ascii_fold("转账 520.00 元，谢谢。"),
            "转账 520.00 元,谢谢。"
        );
        assert_eq!(ascii_fold("￥¥"), "￥¥");
        assert_eq!(ascii_fold(""), "");
    }

    proptest! {
        #[test]
        fn folding_is_idempotent(s in "\\PC*") {
            let once = ascii_fold(&s);
            prop_assert_eq!(ascii_fold(&once), once.clone());
            prop_assert_eq!(once.chars().count(), s.chars().count());
        }

        #[test]
        fn full_width_printable_ascii_folds_to_itself(s in "[!-~]*") {
            let wide: String = s.chars().filter_map(|c| char::from_u32(c as u32 + 0xFEE0)).collect();
            prop_assert_eq!(ascii_fold(&wide), s);
        }
    }
}
