//! IBKR's preview (whatif) of each order, as the table `pbal trade` shows.

use comfy_table::{Table, presets};
use pbal_ibkr::client_portal::{self, WhatIf};

use super::orders::PlannedOrder;

/// The orders and IBKR's preview of each, as a table.
pub(super) fn preview_table(orders: &[PlannedOrder], previews: &[WhatIf]) -> String {
    let mut table = Table::new();
    table
        .load_style(presets::ASCII_MARKDOWN)
        .force_no_tty()
        .set_header([
            "order",
            "type",
            "client order id",
            "commission",
            "initial margin change",
            "IBKR says",
        ]);
    for (order, preview) in orders.iter().zip(previews) {
        let t = &order.ticket;
        let kind = match t.kind {
            client_portal::OrderKind::Market => "MKT".to_owned(),
            client_portal::OrderKind::Limit(p) => format!("LMT {p}"),
            // pbal builds only the two above.
            other => format!("{other:?}"),
        };
        let says = [preview.error.as_deref(), preview.warning.as_deref()]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join("; ");
        table.add_row([
            order.describe(),
            kind,
            t.c_oid.clone(),
            preview
                .commission
                .map_or_else(|| "?".to_owned(), |c| c.normalize().to_string()),
            preview
                .initial_margin_change
                .map_or_else(String::new, |c| c.normalize().to_string()),
            if says.is_empty() {
                "ok".to_owned()
            } else {
                says
            },
        ]);
    }
    format!("IBKR's preview (whatif) of each order:\n{table}")
}
