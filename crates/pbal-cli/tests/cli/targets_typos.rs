//! A targets symbol one edit from a held symbol is most likely a typo: pbal asks about it
//! instead of asking for a price.

use crate::common::{Pbal, fixture};

fn sectors_with(vsmax_as: &str) -> String {
    std::fs::read_to_string(fixture("targets-sectors.toml"))
        .unwrap()
        .replace("VSMAX = 10", &format!("{vsmax_as} = 10"))
}

#[test]
fn a_target_one_edit_from_a_held_symbol_gets_did_you_mean() {
    let pbal = Pbal::new();
    let export = fixture("positions-custom.csv").display().to_string();
    for typo in ["VSMX", "VSMAXX", "VMSAX", "vsmx"] {
        let targets = pbal.write("t.toml", &sectors_with(typo));
        let (code, stdout, stderr) = pbal.run(&["plan", &export, "-t", targets.to_str().unwrap()]);
        assert_eq!((code, stdout.as_str()), (1, ""), "{typo}");
        assert_eq!(
            stderr,
            format!(
                "error: [HOME]/t.toml: {typo} has a target but is not held; did you mean VSMAX? \
                 (VSMAX is held and has no target)\n"
            ),
            "{typo}"
        );
    }
    // Two edits away: a new fund, which needs its price.
    let targets = pbal.write("t.toml", &sectors_with("VBSMX"));
    let (code, _, stderr) = pbal.run(&["plan", &export, "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("VBSMX has a target but is not held; give its price"),
        "{stderr}"
    );
}

/// A held symbol that has its own target is not what the new one misspells.
#[test]
fn a_targeted_held_symbol_is_not_suggested() {
    let pbal = Pbal::new();
    let export = fixture("positions-custom.csv").display().to_string();
    // VOX is held and targeted; VOO (one edit from it) is a new fund without a price.
    let text = std::fs::read_to_string(fixture("targets-sectors.toml"))
        .unwrap()
        .replace("VSMAX = 10", "VSMAX = 5\nVOO = 5");
    let targets = pbal.write("t.toml", &text);
    let (code, _, stderr) = pbal.run(&["plan", &export, "-t", targets.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("VOO has a target but is not held; give its price"),
        "{stderr}"
    );
}
