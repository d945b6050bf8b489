//! `pbal backtest`: the vega-datasets stocks fixture, both CSV layouts, the HTML report, errors.

use crate::common::{Pbal, fixture};

fn stocks() -> String {
    fixture("prices/stocks.csv").display().to_string()
}

#[test]
fn compare_table_on_real_prices() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--compare",
        "full-quarterly,buy-only-annually,bands",
        "--contribution",
        "500",
        "--commission",
        "ibkr-fixed",
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stderr, "");
    insta::assert_snapshot!(stdout, @"
    stocks.csv: 123 dates, 2000-01-01 to 2010-03-01, 5 symbols (GOOG from 2004-08-01). Initial 10,000.00, 500.00 every month; whole shares.

    | Policy               | full-quarterly | buy-only-annually |          bands |          never |
    |----------------------|----------------|-------------------|----------------|----------------|
    | Final value          |     226,017.29 |        300,440.19 |     238,694.99 |     300,586.87 |
    | Contributed          |      71,000.00 |         71,000.00 |      71,000.00 |      71,000.00 |
    | CAGR                 |         12.12% |            16.09% |         12.76% |         14.75% |
    | Volatility           |         32.09% |            30.83% |         33.50% |         35.74% |
    | Max drawdown         |        -62.79% |           -56.20% |        -64.31% |        -63.65% |
    | Sharpe               |           0.52 |              0.64 |           0.53 |           0.57 |
    | Max drift            |         20.00% |            56.00% |          8.99% |         45.57% |
    | Mean drift           |          3.52% |            28.22% |          3.88% |         26.06% |
    | Trades               |            183 |                34 |            211 |            498 |
    | Rebalances           |             40 |                10 |            120 |            122 |
    | Turnover / year      |         18.54% |             3.15% |         10.66% |          3.29% |
    | Commission           |         179.75 |             34.25 |         196.97 |         484.69 |
    | Realized gain, short |       1,087.25 |              0.00 |       3,719.97 |           0.00 |
    | Realized gain, long  |      59,499.63 |              0.00 |      35,826.61 |           0.00 |
    | Mean cash            |         510.76 |          2,699.05 |         468.74 |          13.57 |
    | Best year            |  76.34% (2009) |     92.94% (2009) |  75.79% (2009) |  98.99% (2009) |
    | Worst year           | -37.50% (2000) |    -32.93% (2000) | -40.87% (2000) | -43.34% (2000) |
    | Mean weight MSFT     |         21.75% |            14.35% |         21.36% |         16.18% |
    | Mean weight AMZN     |         22.01% |            19.89% |         22.38% |         23.64% |
    | Mean weight IBM      |         21.90% |            14.62% |         21.83% |         18.15% |
    | Mean weight GOOG     |         10.54% |             4.93% |         10.79% |          1.32% |
    | Mean weight AAPL     |         22.18% |            38.09% |         22.94% |         40.69% |

    Returns are time-weighted (contributions are not gains). Drift: half the sum of |weight - target| over assets and cash, after each date's trades.
    Rebalances: dates a policy traded, the first purchase not counted. Turnover / year: money traded after the first date (buys + sells) / 2, per year, over the mean value. Mean weight: after each date's trades, over all dates. Years run from their first price date to the next year's first; best and worst are whole years.
    Bands: act when an asset is more than min(5pp, 25% of its target) off target (`bands` then trades only the assets outside; full-bands trades them all; bands:ABS/REL sets its own).
    ");
}

#[test]
fn json_has_the_documented_shape() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--compare",
        "quarterly,full-annually",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("one JSON object");
    assert_eq!(v["start"], "2000-01-01");
    assert_eq!(v["end"], "2010-03-01");
    assert_eq!(v["dates"], 123);
    let policies = v["policies"].as_array().unwrap();
    let names: Vec<&str> = policies
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["buy-only-quarterly", "full-annually", "never"]);
    for p in policies {
        for key in [
            "final_value",
            "contributed",
            "commission",
            "realized_gain_short",
            "realized_gain_long",
            "mean_cash",
        ] {
            assert!(p[key].is_string(), "{key} is money: a string");
        }
        for key in [
            "cagr",
            "volatility",
            "max_drawdown",
            "sharpe",
            "max_drift",
            "mean_drift",
            "turnover",
        ] {
            assert!(p[key].is_f64(), "{key} is a ratio: a number");
        }
        assert!(p["trades"].is_u64());
        assert!(p["rebalances"].is_u64());
        assert_eq!(p["mean_weights"].as_object().unwrap().len(), 5);
        // 2000 to 2009 whole, 2010 partial.
        let years = p["year_returns"].as_array().unwrap();
        assert_eq!(years.len(), 11);
        assert_eq!(years[10]["partial"], true);
    }
    assert!(
        v["definitions"]["turnover"]
            .as_str()
            .unwrap()
            .contains("/ 2")
    );
    // Buy-only never sells, so it realizes nothing; full-annually does.
    assert_eq!(policies[0]["realized_gain_long"], "0.00");
    assert_ne!(policies[1]["realized_gain_long"], "0.00");
    insta::assert_snapshot!(
        serde_json::to_string_pretty(&policies[2]).unwrap(),
        @r#"
    {
      "cagr": 0.1190620129,
      "cash_share_after_trades": 0.00107,
      "commission": "0.00",
      "contributed": "10000.00",
      "final_value": "31368.95",
      "max_drawdown": -0.6650822226,
      "max_drift": 0.4959214099,
      "mean_cash": "10.70",
      "mean_cash_share": 0.0012608855,
      "mean_drift": 0.2845025244,
      "mean_weights": {
        "AAPL": 0.4078945239,
        "AMZN": 0.1646284351,
        "GOOG": 0.0,
        "IBM": 0.2528223864,
        "MSFT": 0.1733937691
      },
      "name": "never",
      "realized_gain_long": "0.00",
      "realized_gain_short": "0.00",
      "rebalances": 0,
      "sharpe": 0.4989636943,
      "trades": 4,
      "turnover": 0.0,
      "volatility": 0.3491418756,
      "year_returns": [
        {
          "partial": false,
          "return": -0.421737,
          "year": 2000
        },
        {
          "partial": false,
          "return": 0.0023484124,
          "year": 2001
        },
        {
          "partial": false,
          "return": -0.2184806969,
          "year": 2002
        },
        {
          "partial": false,
          "return": 0.4884510525,
          "year": 2003
        },
        {
          "partial": false,
          "return": 0.3410609777,
          "year": 2004
        },
        {
          "partial": false,
          "return": 0.3852577679,
          "year": 2005
        },
        {
          "partial": false,
          "return": 0.1062969589,
          "year": 2006
        },
        {
          "partial": false,
          "return": 0.4818770297,
          "year": 2007
        },
        {
          "partial": false,
          "return": -0.3072726361,
          "year": 2008
        },
        {
          "partial": false,
          "return": 0.9771777582,
          "year": 2009
        },
        {
          "partial": true,
          "return": 0.1153483758,
          "year": 2010
        }
      ]
    }
    "#
    );
}

#[test]
fn wide_and_long_layouts_agree() {
    let pbal = Pbal::new();
    let long = pbal.write(
        "long.csv",
        "symbol,date,price\nA,2020-01-02,10\nB,2020-01-02,10\nA,2020-02-03,20\nB,2020-02-03,10\n\
         A,2020-03-02,10\nB,2020-03-02,10\n",
    );
    let wide = pbal.write(
        "wide.csv",
        "date,A,B\nJan 2 2020,10,10\nFeb 3 2020,20,10\nMar 2 2020,10,10\n",
    );
    let args = |p: &std::path::Path| {
        let p = p.display().to_string();
        pbal.run(&[
            "backtest",
            &p,
            "--rebalance",
            "monthly",
            "--strategy",
            "full",
            "--initial",
            "1000",
            "--format",
            "json",
        ])
    };
    let (code, long_out, stderr) = args(&long);
    assert_eq!(code, 0, "{stderr}");
    let (_, wide_out, _) = args(&wide);
    let strip = |s: &str| {
        let mut v: serde_json::Value = serde_json::from_str(s).unwrap();
        v["prices"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&long_out), strip(&wide_out));
    let v = strip(&long_out);
    // Hand-computed in pbal-core's unit tests: 38 A + 74 B after February, 1120 in March.
    assert_eq!(v["policies"][0]["name"], "full-monthly");
    assert_eq!(v["policies"][0]["final_value"], "1120.00");
    assert_eq!(v["policies"][1]["final_value"], "1000.00");
}

#[test]
fn html_report_is_self_contained() {
    let pbal = Pbal::new();
    let report = pbal.home.path().join("report.html");
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--compare",
        "full-quarterly",
        "--report",
        &report.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert_eq!(
        html.matches("<svg").count(),
        5,
        "return and volatility, value, drift, 2 weights charts"
    );
    assert!(html.contains("<th>full-quarterly</th><th>never</th>"));
    assert!(html.contains("<td>Rebalances</td><td>40</td><td>0</td>"));
    // A dot per policy with its figures, and the rebalances in the legend.
    assert_eq!(html.matches("<circle").count(), 2);
    assert!(html.contains(">full-quarterly (40)</text>"), "{html}");
    assert!(html.contains(">GOOG</text>"));
    // With more than a handful of policies the table has a policy a row.
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "-s",
        "full",
        "--compare",
        "monthly,monthly:5,quarterly,quarterly:5,annually,annually:5",
        "--report",
        &report.display().to_string(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let grid = std::fs::read_to_string(&report).unwrap();
    assert!(grid.contains("<tr><th>Policy</th><th>Final</th>"));
    assert_eq!(grid.matches("<tr><td>full-").count(), 6);
    assert_eq!(grid.matches("<circle").count(), 7);
    for external in ["<script", "http://", "https://", "<link", "src="] {
        let allowed = external == "http://"
            && html.matches(external).count()
                == html.matches("xmlns=\"http://www.w3.org/2000/svg\"").count();
        assert!(!html.contains(external) || allowed, "{external}");
    }
}

#[test]
fn bad_input_names_file_line_and_field() {
    let pbal = Pbal::new();
    let bad = pbal.write(
        "bad.csv",
        "symbol,date,price\nA,2020-01-02,10\nA,2020-02-03,0\n",
    );
    let (code, stdout, stderr) = pbal.run(&["backtest", &bad.display().to_string()]);
    assert_eq!(code, 1);
    assert_eq!(stdout, "");
    assert_eq!(
        stderr,
        "error: [HOME]/bad.csv:3: price: must be positive, got 0\n"
    );
    let (code, _, stderr) = pbal.run(&["backtest", &stocks(), "--compare", "weekly"]);
    assert_eq!(code, 2, "a usage error");
    assert!(stderr.contains("unknown policy \"weekly\""), "{stderr}");
    let targets = pbal.write("t.toml", "AAPL = 50\nTSLA = 50\n");
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--targets",
        &targets.display().to_string(),
    ]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("TSLA: has a target but no prices"),
        "{stderr}"
    );
}

/// `--fractional` full rebalancing without costs reaches the weights exactly: the final values
/// bt 1.4.1 computes on the same data (scripts/backtest-crosscheck.py), to 1e-9 relative.
#[test]
fn fractional_full_rebalancing_agrees_with_bt() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--fractional",
        "--compare",
        "full-monthly,full-quarterly,full-annually",
        "--initial",
        "10000",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let bt = [
        ("full-monthly", 36_632.303_430_374_9_f64),
        ("full-quarterly", 32_867.529_892_321_116),
        ("full-annually", 36_111.168_353_243_48),
        ("never", 31_413.318_558_522_977),
    ];
    for (name, expected) in bt {
        let policy = v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("{name} missing: {stdout}"));
        let value: f64 = policy["final_value"].as_str().unwrap().parse().unwrap();
        let relative = (value - expected).abs() / expected;
        assert!(relative < 1e-9, "{name}: {value} vs bt {expected}");
    }
}

/// `--market` picks the fixed schedule a price file cannot name: the euro-area 0.05% with a
/// EUR 3 minimum charges more on these small orders than the US per-share rate.
#[test]
fn ibkr_fixed_commission_follows_market() {
    let pbal = Pbal::new();
    let prices = fixture("prices/stocks.csv").display().to_string();
    let commission = |extra: &[&str]| {
        let mut args = vec![
            "backtest",
            prices.as_str(),
            "-s",
            "full",
            "--commission",
            "ibkr-fixed",
            "-f",
            "json",
        ];
        args.extend_from_slice(extra);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        let text = v["policies"][0]["commission"]
            .as_str()
            .unwrap_or_else(|| panic!("{v}"))
            .to_owned();
        text.parse::<rust_decimal::Decimal>().unwrap()
    };
    let us = commission(&[]);
    assert_eq!(us, commission(&["--market", "us"]));
    let europe = commission(&["--market", "europe"]);
    assert!(europe > us, "europe {europe}, us {us}");
    // Without ibkr-fixed, --market has nothing to choose: a usage error.
    let (code, _, stderr) = pbal.run(&["backtest", prices.as_str(), "--market", "uk"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--commission ibkr-fixed"), "{stderr}");
}

/// `--series` writes every policy's value, cash and weights per date: its last rows are the
/// JSON's final values, its weights sum to the invested share.
#[test]
fn series_file_has_each_policy_and_date() {
    let pbal = Pbal::new();
    let series = pbal.home.path().join("series.csv");
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "-s",
        "full",
        "--compare",
        "monthly:5,annually",
        "-f",
        "json",
        "--series",
        series.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let text = std::fs::read_to_string(&series).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("policy,date,value,cash,MSFT,AMZN,IBM,GOOG,AAPL")
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3 * 123);
    for policy in v["policies"].as_array().unwrap() {
        let name = policy["name"].as_str().unwrap();
        let last = rows.iter().rfind(|r| r[0] == name).unwrap();
        assert_eq!(last[1], "2010-03-01");
        let value: f64 = last[2].parse().unwrap();
        let json: f64 = policy["final_value"].as_str().unwrap().parse().unwrap();
        assert!((value - json).abs() < 0.006, "{name}: {value} vs {json}");
        let cash: f64 = last[3].parse().unwrap();
        let weights: f64 = last[4..].iter().map(|w| w.parse::<f64>().unwrap()).sum();
        assert!((weights + cash / value - 1.0).abs() < 1e-9, "{last:?}");
    }
    let rebalances = |name: &str| {
        v["policies"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["name"] == name)
            .unwrap()["rebalances"]
            .as_u64()
            .unwrap()
    };
    // Annual rebalancing on 2001..2010's first dates; never trades only on the first date.
    assert_eq!(rebalances("full-annually"), 10);
    assert_eq!(rebalances("never"), 0);
    assert!(rebalances("full-monthly:5") < 122);
}

/// `--returns` compounds periodic returns into levels from 100, one period before the first
/// date: the same backtest as the prices written out by hand.
#[test]
fn returns_are_compounded_into_prices() {
    let pbal = Pbal::new();
    let returns = pbal.write(
        "returns.csv",
        "date,A,B\n2000-01-31,10,\n2000-02-29,-10,2\n2000-03-31,25,-2\n2000-04-30,-20,10\n",
    );
    let prices = pbal.write(
        "prices.csv",
        "date,A,B\n1999-12-31,100,\n2000-01-31,110,100\n2000-02-29,99,102\n\
         2000-03-31,123.75,99.96\n2000-04-30,99,109.956\n",
    );
    let json = |input: &[&str]| {
        let mut args = vec!["backtest"];
        args.extend_from_slice(input);
        args.extend(["-s", "full", "--compare", "monthly,monthly:5", "-f", "json"]);
        let (code, stdout, stderr) = pbal.run(&args);
        assert_eq!(code, 0, "{stderr}");
        let mut v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        v["prices"] = serde_json::Value::Null;
        v
    };
    let from_returns = json(&[
        "--returns",
        returns.to_str().unwrap(),
        "--returns-unit",
        "percent",
    ]);
    assert_eq!(from_returns, json(&[prices.to_str().unwrap()]));
    assert_eq!(from_returns["start"], "1999-12-31");
    let (code, _, stderr) = pbal.run(&["backtest", "--returns", returns.to_str().unwrap()]);
    assert_eq!(code, 2);
    insta::assert_snapshot!(stderr, @"error: --returns needs --returns-unit percent or fraction (is 1.5 a return of 1.5% or of 150%?)");
    let bad = pbal.write("bad.csv", "date,A\n2000-01-31,1\n2000-02-29,-120\n");
    let (code, _, stderr) = pbal.run(&[
        "backtest",
        "--returns",
        bad.to_str().unwrap(),
        "--returns-unit",
        "percent",
    ]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: [HOME]/bad.csv:3: A: a return of -120 loses everything (it must be above -100%)");
}

/// `--start` and `--end` keep the dates between them.
#[test]
fn start_and_end_choose_the_dates() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "--start",
        "2001-01-01",
        "--end",
        "2004-06-30",
        "-f",
        "json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        (&v["start"], &v["end"], &v["dates"]),
        (&"2001-01-01".into(), &"2004-06-01".into(), &42.into())
    );
    let (code, _, stderr) = pbal.run(&["backtest", &stocks(), "--start", "2020-01-01"]);
    assert_eq!(code, 1);
    insta::assert_snapshot!(stderr, @"error: cannot backtest [FIXTURES]/prices/stocks.csv: no price dates from 2020-01-01 to … (the file has 2000-01-01 to 2010-03-01)");
}

/// Past a handful of policies the table turns: a policy a row.
#[test]
fn a_grid_of_policies_has_a_policy_a_row() {
    let pbal = Pbal::new();
    let (code, stdout, stderr) = pbal.run(&[
        "backtest",
        &stocks(),
        "-s",
        "full",
        "--compare",
        "monthly,monthly:5,quarterly:5,semiannually:5,annually:5",
        "--fractional",
    ]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!(stdout, @"
    stocks.csv: 123 dates, 2000-01-01 to 2010-03-01, 5 symbols (GOOG from 2004-08-01). Initial 10,000.00; continuous (exact weights).

    | Policy              |     Final |  Contrib. |   CAGR |   Vol. |  Max DD | Sharpe | Max drift | Mean drift | Trades | Rebal. | Turnover | Comm. | Gain ST |   Gain LT | Mean cash |     Best year |     Worst year | MSFT wt | AMZN wt | IBM wt | GOOG wt | AAPL wt |
    |---------------------|-----------|-----------|--------|--------|---------|--------|-----------|------------|--------|--------|----------|-------|---------|-----------|-----------|---------------|----------------|---------|---------|--------|---------|---------|
    | full-monthly        | 36,632.30 | 10,000.00 | 13.63% | 33.63% | -64.33% |   0.55 |     0.00% |      0.00% |    560 |    122 |   35.76% |  0.00 | -936.55 | 17,807.13 |      0.00 | 77.19% (2009) | -41.10% (2000) |  22.24% |  22.24% | 22.24% |  11.06% |  22.24% |
    | full-monthly:5      | 36,897.49 | 10,000.00 | 13.71% | 33.50% | -63.08% |   0.55 |     7.67% |      2.82% |    131 |     29 |   16.83% |  0.00 |    7.42 |  7,412.64 |      0.00 | 78.71% (2009) | -40.22% (2000) |  21.57% |  22.73% | 21.80% |  10.90% |  22.99% |
    | full-quarterly:5    | 33,666.58 | 10,000.00 | 12.69% | 33.24% | -63.25% |   0.52 |    20.00% |      3.93% |     97 |     21 |   15.27% |  0.00 | -886.00 |  7,617.48 |      0.00 | 76.18% (2009) | -38.16% (2000) |  21.80% |  22.78% | 22.26% |  10.68% |  22.48% |
    | full-semiannually:5 | 30,616.40 | 10,000.00 | 11.64% | 33.40% | -66.24% |   0.50 |    20.58% |      5.58% |     62 |     13 |   12.09% |  0.00 |  379.60 |  4,894.79 |      0.00 | 76.60% (2009) | -43.19% (2000) |  21.18% |  22.88% | 22.34% |  10.02% |  23.58% |
    | full-annually:5     | 33,895.86 | 10,000.00 | 12.76% | 33.55% | -64.94% |   0.53 |    31.24% |      8.16% |     31 |      6 |    8.46% |  0.00 |  974.50 |  2,735.88 |      0.00 | 77.54% (2009) | -42.22% (2000) |  20.89% |  22.02% | 21.67% |  10.05% |  25.37% |
    | never               | 31,413.32 | 10,000.00 | 11.92% | 34.97% | -66.57% |   0.50 |    49.69% |     28.42% |      4 |      0 |    0.00% |  0.00 |    0.00 |      0.00 |      0.00 | 97.83% (2009) | -42.22% (2000) |  17.57% |  16.35% | 25.16% |   0.00% |  40.92% |

    Returns are time-weighted (contributions are not gains). Drift: half the sum of |weight - target| over assets and cash, after each date's trades.
    Rebalances: dates a policy traded, the first purchase not counted. Turnover / year: money traded after the first date (buys + sells) / 2, per year, over the mean value. Mean weight: after each date's trades, over all dates. Years run from their first price date to the next year's first; best and worst are whole years.
    SCHEDULE:N: on the schedule's dates, trade only when some asset's weight is more than N percentage points from its target; otherwise only invest contributions, buy-only.
    ");
}
