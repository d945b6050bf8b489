//! Issue 24, items 1 and 6: an export that is not whole is an error naming what is missing,
//! never fewer positions; files people really have (UTF-16 with a BOM, `;`-separated) are read
//! or refused plainly.

use pbal_ibkr::{Error, Statement, read_bytes};

fn fixture(name: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/flex")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

fn read(text: &str) -> Result<Statement, Error> {
    read_bytes(text.as_bytes(), "t.csv")
}

fn message(text: &str) -> String {
    read(text).unwrap_err().to_string()
}

/// What a plan is made from: positions (with lots), cash and past trades, as read.
fn contents(s: &Statement) -> String {
    format!(
        "{:?} {:?} {:?} {:?} {:?}",
        s.base_currency, s.accounts, s.positions, s.cash, s.trades
    )
}

/// Every cut of a fixture at a line or at a byte is refused, or reads exactly what the whole
/// file holds (a cut among the trailing sections pbal does not read).
fn every_cut_is_refused_or_whole(name: &str) -> (usize, usize) {
    let text = fixture(name);
    let whole = contents(&read(&text).unwrap());
    let mut cuts: Vec<usize> = text.match_indices('\n').map(|(i, _)| i + 1).collect();
    cuts.extend((0..text.len()).step_by(7));
    let (mut refused, mut read_whole) = (0, 0);
    for cut in cuts {
        let Some(part) = text.get(..cut) else {
            continue;
        };
        match read(part) {
            Err(_) => refused += 1,
            Ok(s) => {
                assert_eq!(contents(&s), whole, "{name} cut at byte {cut}:\n{part}");
                read_whole += 1;
            }
        }
    }
    (refused, read_whole)
}

#[test]
fn every_cut_of_a_layout_that_can_prove_itself_whole_is_caught() {
    for name in [
        "header-trailer.csv",
        "section-codes.csv",
        "flex-statement.xml",
    ] {
        let (refused, whole) = every_cut_is_refused_or_whole(name);
        assert!(refused > 20, "{name}: {refused}");
        // Only the whole file (the last line, with or without its newline) reads.
        assert!(whole <= 2, "{name}: {whole} cuts read");
    }
    // An Activity Statement may be cut inside its trailing Codes section: the rest is whole.
    let (refused, whole) = every_cut_is_refused_or_whole("activity-statement.csv");
    assert!(refused > 20 && whole > 1, "{refused} {whole}");
}

const TRAILERS: &str =
    "\"BOF\",\"U1\",\"q\",\"1\",\"20261120\",\"20261120\",\"20261121;041910\",\"100\",\"100\"
\"BOA\",\"U1\"
\"BOS\",\"POST\",\"Open Positions\"
\"ClientAccountID\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"
\"U1\",\"USD\",\"VTI\",\"10\",\"250.5\",\"2505\"
\"U1\",\"USD\",\"BND\",\"40\",\"72.1\",\"2884\"
\"EOS\",\"POST\",\"2\",\"5389\"
\"EOA\",\"U1\"
\"EOF\",\"U1\"
";

#[test]
fn trailers_name_what_is_missing() {
    assert_eq!(read(TRAILERS).unwrap().positions.len(), 2);
    let lines: Vec<&str> = TRAILERS.lines().collect();
    let cut = |n: usize| lines[..n].join("\n") + "\n";
    insta::assert_snapshot!(message(&cut(5)), @"t.csv:5: the file ends inside the Open Positions section (BOS on line 3), after 1 row: no EOS/EOA/EOF trailer, so the file is cut short; download it again");
    insta::assert_snapshot!(message(&cut(4)), @"t.csv:4: the file ends right after the Open Positions column header (line 4), with no rows and no EOS/EOA/EOF trailer: the file is cut short; download it again");
    insta::assert_snapshot!(message(&cut(7)), @"t.csv:7: the file ends inside the block of account U1 (BOA on line 2): no EOA/EOF trailer, so the file is cut short; download it again");
    insta::assert_snapshot!(message(&cut(8)), @"t.csv:8: the file starts with BOF (line 1) but ends without EOF: the file is cut short; download it again");
    // A row lost in the middle: the EOS row's count tells.
    let lost = TRAILERS.replace("\"U1\",\"USD\",\"BND\",\"40\",\"72.1\",\"2884\"\n", "");
    insta::assert_snapshot!(message(&lost), @"t.csv:6: Open Positions has 1 of the 2 rows its EOS row announces: rows are missing (the file is cut or edited)");
    let extra = TRAILERS.replace("\"POST\",\"2\"", "\"POST\",\"1\"");
    insta::assert_snapshot!(message(&extra), @"t.csv:7: Open Positions has 2 rows, but its EOS row announces 1: the file is edited");
    // The short EOS form without a count is accepted.
    let short = TRAILERS.replace("\"EOS\",\"POST\",\"2\",\"5389\"", "\"EOS\",\"POST\"");
    assert_eq!(read(&short).unwrap().positions.len(), 2);
}

#[test]
fn a_whole_empty_section_is_a_valid_answer() {
    // An EOS announcing 0 rows: the section is whole and holds nothing.
    let empty = TRAILERS
        .replace("\"U1\",\"USD\",\"VTI\",\"10\",\"250.5\",\"2505\"\n", "")
        .replace("\"U1\",\"USD\",\"BND\",\"40\",\"72.1\",\"2884\"\n", "")
        .replace("\"POST\",\"2\",\"5389\"", "\"POST\",\"0\",\"0\"");
    let s = read(&empty).unwrap();
    assert!(s.positions.is_empty());
}

#[test]
fn a_plain_flex_csv_cut_after_its_header_says_so() {
    let header = "\"ReportDate\",\"CurrencyPrimary\",\"Symbol\",\"Quantity\",\"MarkPrice\",\"PositionValue\"\n";
    insta::assert_snapshot!(message(header), @"t.csv:1: the file ends right after the Open Positions column header: the section has a header and no rows, so the file is cut short; download it again");
    // After a Cash Report: not an account of cash only.
    let cash =
        "\"CurrencyPrimary\",\"LevelOfDetail\",\"EndingCash\"\n\"USD\",\"Currency\",\"1000\"\n";
    insta::assert_snapshot!(message(&format!("{cash}{header}")), @"t.csv:3: the file ends right after the Open Positions column header: the section has a header and no rows, so the file is cut short; download it again");
    assert!(read(cash).is_ok());
}

const ACTIVITY: &str = "Statement,Header,Field Name,Field Value
Statement,Data,Title,Activity Statement
Account Information,Header,Field Name,Field Value
Account Information,Data,Base Currency,USD
Open Positions,Header,DataDiscriminator,Asset Category,Currency,Symbol,Quantity,Mult,Cost Price,Cost Basis,Close Price,Value,Unrealized P/L,Code
Open Positions,Data,Summary,Stocks,USD,VTI,10,1,200,2000,250.5,2505,505,
Open Positions,Data,Summary,Stocks,USD,BND,40,1,70,2800,72.1,2884,84,
Open Positions,Total,,Stocks,USD,,,,,4800,,5389,589,
Codes,Header,Code,Meaning
Codes,Data,LT,Long Term
";

#[test]
fn an_activity_statement_cut_inside_what_pbal_reads_is_refused() {
    assert_eq!(read(ACTIVITY).unwrap().positions.len(), 2);
    let lines: Vec<&str> = ACTIVITY.lines().collect();
    let cut = |n: usize| lines[..n].join("\n") + "\n";
    insta::assert_snapshot!(message(&cut(6)), @"t.csv:6: the file ends inside the Open Positions section, without the closing sections an Activity Statement ends with (Codes, Notes/Legal Notes): the file is cut short; download the statement again");
    insta::assert_snapshot!(message(&cut(5)), @"t.csv:5: the file ends right after the Open Positions header (line 5): the section has a header and no rows, and the statement's closing sections (Codes, Notes/Legal Notes) are missing, so the file is cut short; download the statement again");
    // Cut after the Total row, before the sections that follow: still refused.
    assert!(read(&cut(8)).is_err());
    assert_eq!(read(&cut(9)).unwrap().positions.len(), 2);
    // Cut in a section pbal does not read, before the closing ones: later sections may be
    // lost (the order of sections is IBKR's, not a promise), so it is refused too.
    let dividends = ACTIVITY.replace(
        "Codes,Header,Code,Meaning\nCodes,Data,LT,Long Term\n",
        "Dividends,Header,Currency,Date,Description,Amount\nDividends,Data,USD,2026-01-02,VTI,1.5\n",
    );
    insta::assert_snapshot!(message(&dividends), @"t.csv:10: the file ends inside the Dividends section, without the closing sections an Activity Statement ends with (Codes, Notes/Legal Notes): the file is cut short; download the statement again");
}

#[test]
fn a_flex_xml_cut_names_the_element_it_ends_in() {
    let xml = fixture("flex-statement.xml");
    let cut = &xml[..xml.find("<Trades>").unwrap()];
    insta::assert_snapshot!(read_bytes(cut.as_bytes(), "t.xml").unwrap_err().to_string(), @"t.xml:17: the Flex XML ends before </FlexQueryResponse>, inside <FlexStatement>: the file is cut short; download it again");
    let cut = &xml[..xml.find("symbol=\"BND\"").unwrap()];
    insta::assert_snapshot!(read_bytes(cut.as_bytes(), "t.xml").unwrap_err().to_string(), @"t.xml:14: the Flex XML ends inside a tag (tag not closed: `>` not found before end of input): the file is cut short; download it again");
}

#[test]
fn a_row_with_fewer_fields_than_its_header_names_what_it_lacks() {
    let text = "\"Symbol\",\"CurrencyPrimary\",\"Quantity\",\"MarkPrice\",\"PositionValue\",\"FXRateToBase\",\"FifoPnlUnrealized\"\n\
                \"VTI\",\"USD\",\"10\",\"250.5\",\"2505\",\"1\",\"505\"\n\
                \"BND\",\"USD\",\"40\",\"72.1\",\"2884\"\n";
    insta::assert_snapshot!(message(text), @"t.csv:3: this row has 5 fields and its column header (line 1) has 7: FXRateToBase and FifoPnlUnrealized are missing (the row is cut short or edited)");
    let activity = ACTIVITY.replace(
        "USD,BND,40,1,70,2800,72.1,2884,84,",
        "USD,BND,40,1,70,2800,72.1",
    );
    insta::assert_snapshot!(message(&activity), @"t.csv:7: this row has 9 fields and its column header (line 5) has 12: Value, Unrealized P/L and Code are missing (the row is cut short or edited)");
}

fn utf16(text: &str, big_endian: bool) -> Vec<u8> {
    let mut bytes = if big_endian {
        vec![0xFE, 0xFF]
    } else {
        vec![0xFF, 0xFE]
    };
    for unit in text.encode_utf16() {
        bytes.extend(if big_endian {
            unit.to_be_bytes()
        } else {
            unit.to_le_bytes()
        });
    }
    bytes
}

#[test]
fn utf16_with_a_bom_reads_like_utf8() {
    for name in [
        "header-trailer.csv",
        "activity-statement.csv",
        "flex-statement.xml",
        "multi-currency.csv",
    ] {
        let text = fixture(name);
        let utf8 = contents(&read(&text).unwrap());
        for big_endian in [false, true] {
            let s = read_bytes(&utf16(&text, big_endian), "t.csv").unwrap();
            assert_eq!(contents(&s), utf8, "{name}");
        }
        let mut with_bom = b"\xEF\xBB\xBF".to_vec();
        with_bom.extend(text.as_bytes());
        assert_eq!(contents(&read_bytes(&with_bom, "t.csv").unwrap()), utf8);
    }
}

#[test]
fn bad_utf16_fails_clearly() {
    let err = |bytes: &[u8]| read_bytes(bytes, "t.csv").unwrap_err().to_string();
    let mut lone = utf16("Symbol,PositionValue\nA", false);
    lone.extend([0x00, 0xD8]);
    insta::assert_snapshot!(err(&lone), @"t.csv:2: not valid UTF-16 text (a lone surrogate 0xD800); save the export again as UTF-8");
    let mut odd = utf16("Symbol", false);
    odd.push(b'A');
    insta::assert_snapshot!(err(&odd), @"t.csv:1: not valid UTF-16 text (an odd number of bytes: the file is cut inside a character); save the export again as UTF-8");
    let no_bom = utf16("Symbol,PositionValue\n", false)[2..].to_vec();
    insta::assert_snapshot!(err(&no_bom), @"t.csv:1: the text holds NUL bytes: UTF-16 without a byte-order mark? Save it as UTF-8, or as UTF-16 with a BOM");
}

#[test]
fn a_semicolon_or_tab_separated_csv_is_refused_with_its_separator() {
    let semicolons = "Symbol;PositionValue;MarkPrice;FifoPnlUnrealized\nVTI;2505,5;250,55;10\n";
    insta::assert_snapshot!(message(semicolons), @r#"t.csv:1: the separator is `;`, not a comma (a re-save by a spreadsheet, whose numbers may then have decimal commas): use the file IBKR wrote, or save it as "CSV (comma delimited)" with `.` as the decimal point"#);
    assert!(message("sep=;\nSymbol;PositionValue\n").contains("the separator is `;`"));
    assert!(
        message("\n\"Symbol\"\t\"PositionValue\"\n").starts_with("t.csv:2: the separator is a tab")
    );
    // A `;` inside quotes (Flex date-times) is no separator.
    let s = read("\"Symbol\",\"Quantity\",\"MarkPrice\",\"OpenDateTime\"\n\"VTI\",\"1\",\"2\",\"20240131;103000\"\n").unwrap();
    assert_eq!(s.positions.len(), 1);
}
