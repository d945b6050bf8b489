//! pbal-ibkr's gateway example (`examples/preview_over_gateway.rs`), its own code run against
//! the fake gateway.

/// The gateway example's own code, run against the fake gateway.
#[allow(dead_code, unreachable_pub)]
#[path = "../../../pbal-ibkr/examples/preview_over_gateway.rs"]
mod preview_over_gateway;

#[tokio::test]
async fn the_gateway_example_previews_and_places_nothing() {
    use pbal_fake_gateway::{FakeGateway, Setup};
    use pbal_ibkr::client_portal::{Gateway, GatewayConfig, GatewayTls};

    let fake = FakeGateway::start(Setup::ten_etfs());
    let tls = GatewayTls::Pinned {
        pem: fake.cert_pem().into_bytes(),
    };
    let gateway = Gateway::new(GatewayConfig::new(&fake.url(), tls).unwrap()).unwrap();
    let lines = preview_over_gateway::preview(&gateway, "DU1234567")
        .await
        .unwrap();
    assert_eq!(lines[0], "7 orders for 10000 of cash", "{lines:?}");
    assert_eq!(lines.len(), 8, "{lines:?}");
    assert!(
        lines[1..]
            .iter()
            .all(|l| l.starts_with("BUY ") && l.contains(": commission ")),
        "{lines:?}"
    );
    assert!(fake.orders().is_empty(), "a preview places nothing");
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.path.ends_with("/orders/whatif")),
        "each order is previewed"
    );
}
