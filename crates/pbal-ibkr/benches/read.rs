//! Reading a large Flex CSV. Run: `cargo bench -p pbal-ibkr --bench read`.

use std::fmt::Write as _;

fn main() {
    divan::main();
}

/// A plain Flex CSV with `rows` rows: positions in two accounts and two currencies, each
/// summary followed by four lots, and a Cash Report.
fn flex_csv(rows: usize) -> String {
    let mut out = String::from(
        "\"ClientAccountID\",\"CurrencyPrimary\",\"FXRateToBase\",\"AssetClass\",\"Symbol\",\"Conid\",\
         \"Quantity\",\"MarkPrice\",\"PositionValue\",\"CostBasisMoney\",\"FifoPnlUnrealized\",\
         \"LevelOfDetail\",\"OpenDateTime\"\n",
    );
    let positions = rows / 5;
    for p in 0..positions {
        let account = if p % 2 == 0 { "U1111111" } else { "U2222222" };
        let (currency, fx) = if p % 3 == 0 {
            ("EUR", "1.087")
        } else {
            ("USD", "1")
        };
        let price = 10 + p % 490;
        let _ = writeln!(
            out,
            "\"{account}\",\"{currency}\",\"{fx}\",\"STK\",\"S{p:06}\",\"{}\",\"40\",\"{price}.25\",\"{}\",\"{}\",\"{}\",\"SUMMARY\",\"\"",
            100_000 + p,
            40 * price + 10,
            40 * price,
            10
        );
        for lot in 0..4 {
            let _ = writeln!(
                out,
                "\"{account}\",\"{currency}\",\"{fx}\",\"STK\",\"S{p:06}\",\"{}\",\"10\",\"{price}.25\",\"{}\",\"{}\",\"{}\",\"LOT\",\"202{lot}0{}15;093000\"",
                100_000 + p,
                10 * price + 2,
                10 * price,
                2,
                1 + lot
            );
        }
    }
    out.push_str("\"ClientAccountID\",\"CurrencyPrimary\",\"LevelOfDetail\",\"EndingCash\"\n");
    out.push_str("\"U1111111\",\"BASE_SUMMARY\",\"BaseCurrency\",\"1000\"\n");
    out
}

#[divan::bench(args = [1_000, 100_000])]
fn read_flex_csv(bencher: divan::Bencher, rows: usize) {
    let text = flex_csv(rows);
    bencher
        .counter(divan::counter::BytesCount::new(text.len()))
        .bench(|| pbal_ibkr::read_bytes(divan::black_box(text.as_bytes()), "bench.csv").unwrap());
}
