//! An order's progress while pbal-ibkr waits for its fill, as a line.

use pbal_ibkr::client_portal::Fill;

use super::orders::PlannedOrder;

/// One order's new status, as a line.
pub(super) fn progress(order: &PlannedOrder, fill: &Fill) -> String {
    let price = fill
        .average_price
        .map(|p| format!(" @ {}", p.normalize()))
        .unwrap_or_default();
    format!(
        "  {}: {} ({} filled{price})",
        order.describe(),
        fill.state,
        fill.filled.normalize()
    )
}
