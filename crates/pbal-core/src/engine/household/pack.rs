//! Whether a household's buys fit its accounts' own cash, decided exactly: the natural splits
//! (one account, accounts filled in turn) miss packings that spread several funds over several
//! accounts to their last cents, and a candidate refused for want of one is then unproven.
//!
//! Accounts are filled one at a time, each with a *maximal* choice (no remaining unit it could
//! still pay, at what one more unit costs it with the commission): if any packing exists, one
//! exists in which every account but the last is maximal, since a unit moved from a later
//! account into an earlier one that can pay it leaves the later one with more cash (every
//! commission schedule pbal has is non-decreasing in the units, so the later account's
//! commission never grows). All leftovers add up to at most the slack (the accounts' cash minus
//! the buys and one commission per fund), so each account's choice must land within the slack
//! of its room: which sums its funds can reach (with their commissions) is known from a bitset,
//! and a branch that cannot land there is cut. Sales, when given, are chosen per account first
//! (every amount its holding and the later accounts' holdings allow), then its maximal buys
//! with the cash they raise. Only for orders without minimum sizes. Money is in integer minor
//! units (the finest scale of the prices, cash and commissions).

use std::collections::HashSet;

use rust_decimal::Decimal;

/// The answer: a packing (account, asset, units; negative: a sale), none at all, or not
/// decided within the node limit (or in amounts too fine to count in integers).
pub(super) enum Packed {
    Fits(Vec<(usize, usize, i64)>),
    Never,
    Unknown,
}

/// One buy: asset, units, price of one unit (before its commission).
pub(super) type Buy = (usize, i64, Decimal);

/// One sale: asset, units, what one unit raises (before its commission), and what each
/// account holds (by account).
pub(super) type Sale = (usize, i64, Decimal, Vec<(usize, i64)>);

/// Finest scale the integer units take (beyond, the answer is `Unknown`).
const MAX_SCALE: u32 = 8;
/// Largest room (in minor units) the reachable-sum bitsets cover; beyond, no bitset prune.
const MAX_BITSET_ROOM: i128 = 1 << 22;
/// Most units whose commissions are tabulated one by one (beyond, the answer is `Unknown`).
const MAX_TABLED_UNITS: i64 = 200_000;

/// An order's commission by its units, in minor units.
enum Fees {
    Zero,
    /// The same for every order size.
    Flat(i128),
    /// By units (index 0 is no order).
    Table(Vec<i128>),
}

impl Fees {
    fn at(&self, units: i64) -> i128 {
        if units == 0 {
            return 0;
        }
        match self {
            Fees::Zero => 0,
            Fees::Flat(c) => *c,
            Fees::Table(t) => t[units as usize],
        }
    }
}

/// One fund's order as the packer counts it: units, money per unit, commissions.
struct Line {
    asset: usize,
    units: i64,
    unit: i128,
    fees: Fees,
}

impl Line {
    /// What `k` units bought cost with their commission.
    fn cost(&self, k: i64) -> i128 {
        i128::from(k) * self.unit + self.fees.at(k)
    }

    /// What `k` units sold raise, net of their commission.
    fn raises(&self, k: i64) -> i128 {
        i128::from(k) * self.unit - self.fees.at(k)
    }

    /// The least commission `k` units pay over any orders (at least one order, and
    /// schedules never fall with size).
    fn least_fee(&self, k: i64) -> i128 {
        if k == 0 { 0 } else { self.fees.at(1) }
    }

    /// The most units (up to `left`) that `room` pays, with the commission.
    fn most(&self, room: i128, left: i64) -> i64 {
        if left <= 0 || self.cost(1) > room {
            return 0;
        }
        let mut k = i64::try_from((room - self.fees.at(1)) / self.unit)
            .unwrap_or(i64::MAX)
            .clamp(0, left);
        while k > 0 && self.cost(k) > room {
            k -= 1;
        }
        k
    }
}

/// Packs `sales` and `buys` into `rooms` (account, cash it may spend), each order of `k` units
/// of an asset paying `commission(asset, k)` in its account, visiting at most `node_limit`
/// nodes; returns the answer and the nodes visited. With `last`, that room is filled last.
pub(super) fn pack(
    rooms: &[(usize, Decimal)],
    sales: &[Sale],
    buys: &[Buy],
    last: Option<usize>,
    commission: &dyn Fn(usize, i64) -> Decimal,
    node_limit: u64,
) -> (Packed, u64) {
    if buys.iter().any(|b| b.2 <= Decimal::ZERO) || sales.iter().any(|x| x.2 <= Decimal::ZERO) {
        return (Packed::Unknown, 0);
    }
    // Each order's commissions in decimals first: their scale joins the prices'.
    let orders = sales
        .iter()
        .map(|x| (x.0, x.1))
        .chain(buys.iter().map(|b| (b.0, b.1)));
    let mut tabled = 0i64;
    let mut fee_tables: Vec<Option<Vec<Decimal>>> = Vec::new();
    for (asset, units) in orders {
        if units <= 0 {
            fee_tables.push(None);
            continue;
        }
        let (one, all) = (commission(asset, 1), commission(asset, units));
        if one.is_zero() && all.is_zero() {
            fee_tables.push(None);
        } else if one == all {
            fee_tables.push(Some(vec![Decimal::ZERO, one]));
        } else {
            tabled += units;
            if tabled > MAX_TABLED_UNITS {
                return (Packed::Unknown, 0);
            }
            let table: Vec<Decimal> = (0..=units)
                .map(|k| {
                    if k == 0 {
                        Decimal::ZERO
                    } else {
                        commission(asset, k)
                    }
                })
                .collect();
            // The exchange argument needs commissions that never fall with size.
            if table[1..].windows(2).any(|w| w[1] < w[0]) {
                return (Packed::Unknown, 0);
            }
            fee_tables.push(Some(table));
        }
    }
    let scale = rooms
        .iter()
        .map(|r| r.1.normalize().scale())
        .chain(buys.iter().map(|b| b.2.normalize().scale()))
        .chain(sales.iter().map(|x| x.2.normalize().scale()))
        .chain(
            fee_tables
                .iter()
                .flatten()
                .flatten()
                .map(|c| c.normalize().scale()),
        )
        .max()
        .unwrap_or(0);
    if scale > MAX_SCALE {
        return (Packed::Unknown, 0);
    }
    let factor = Decimal::from(10i64.pow(scale));
    let minor = |x: Decimal| (x * factor).trunc().mantissa();
    let fees_of = |table: Option<&Vec<Decimal>>, units: i64| match table {
        None => Fees::Zero,
        Some(t) if t.len() == 2 && units > 1 => Fees::Flat(minor(t[1])),
        Some(t) => Fees::Table(t.iter().map(|&c| minor(c)).collect()),
    };
    let (sale_tables, buy_tables) = fee_tables.split_at(sales.len());
    let mut buys: Vec<Line> = buys
        .iter()
        .zip(buy_tables)
        .map(|(b, table)| Line {
            asset: b.0,
            units: b.1,
            unit: minor(b.2),
            fees: fees_of(table.as_ref(), b.1),
        })
        .collect();
    if buys.iter().any(|b| b.unit <= 0) {
        return (Packed::Unknown, 0);
    }
    // Dearest first: they leave the fewest choices.
    buys.sort_by(|x, y| y.unit.cmp(&x.unit).then(x.asset.cmp(&y.asset)));
    // Least room first: its maximal choices are the fewest.
    let mut rooms: Vec<(usize, i128)> = rooms.iter().map(|r| (r.0, minor(r.1))).collect();
    rooms.sort_by(|x, y| {
        (Some(x.0) == last)
            .cmp(&(Some(y.0) == last))
            .then(x.1.cmp(&y.1))
            .then(x.0.cmp(&y.0))
    });
    // Each sale's holding by room position, and what the rooms from each position on hold.
    let sales: Vec<(Line, Vec<i64>)> = sales
        .iter()
        .zip(sale_tables)
        .map(|((asset, units, raises, held), table)| {
            let by_room = rooms
                .iter()
                .map(|r| held.iter().filter(|h| h.0 == r.0).map(|h| h.1).sum())
                .collect();
            let line = Line {
                asset: *asset,
                units: *units,
                unit: minor(*raises),
                fees: fees_of(table.as_ref(), *units),
            };
            (line, by_room)
        })
        .collect();
    let held_from: Vec<Vec<i64>> = sales
        .iter()
        .map(|x| {
            let mut from = vec![0i64; rooms.len() + 1];
            for p in (0..rooms.len()).rev() {
                from[p] = from[p + 1] + x.1[p];
            }
            from
        })
        .collect();
    let mut packer = Packer {
        rooms: &rooms,
        buys: &buys,
        sales: &sales,
        held_from,
        failed: HashSet::new(),
        nodes: 0,
        node_limit,
        taken: Vec::new(),
    };
    let left: Vec<i64> = buys.iter().map(|b| b.units).collect();
    let sold: Vec<i64> = sales.iter().map(|x| x.0.units).collect();
    let answer = match packer.account(0, &left, &sold) {
        Some(true) => Packed::Fits(
            packer
                .taken
                .iter()
                .copied()
                .filter(|&(_, _, k)| k != 0)
                .collect(),
        ),
        Some(false) => Packed::Never,
        None => Packed::Unknown,
    };
    (answer, packer.nodes)
}

struct Packer<'a> {
    rooms: &'a [(usize, i128)],
    buys: &'a [Line],
    /// Each sale and its holding by room position.
    sales: &'a [(Line, Vec<i64>)],
    /// Per sale, what the rooms from each position on hold.
    held_from: Vec<Vec<i64>>,
    /// (account position, buy units left, sale units left) known not to pack.
    failed: HashSet<(usize, Vec<i64>, Vec<i64>)>,
    nodes: u64,
    node_limit: u64,
    /// The packing so far: (account, asset, units; negative: a sale).
    taken: Vec<(usize, usize, i64)>,
}

/// What prunes one account's choices.
struct Bounds {
    /// The most the accounts from this one on may leave unspent.
    slack: i128,
    /// What the funds from each index on could still spend (with their commissions).
    further: Vec<i128>,
    /// The sums the funds from each index on can reach (up to the room), when counted.
    reach: Option<Vec<Bits>>,
}

impl Packer<'_> {
    /// The least the buys `left` cost over all accounts: one commission per fund at least.
    fn least_cost(&self, left: &[i64]) -> i128 {
        left.iter()
            .zip(self.buys)
            .map(|(&k, b)| i128::from(k) * b.unit + b.least_fee(k))
            .sum()
    }

    /// The most the sales `sold` raise over all accounts.
    fn most_raised(&self, sold: &[i64]) -> i128 {
        sold.iter()
            .zip(self.sales)
            .map(|(&k, x)| i128::from(k) * x.0.unit - x.0.least_fee(k))
            .sum()
    }

    /// What one account pays for all of `left` less what it raises selling all of `sold`.
    fn spend_all(&self, left: &[i64], sold: &[i64]) -> i128 {
        let bought: i128 = left.iter().zip(self.buys).map(|(&k, b)| b.cost(k)).sum();
        let raised: i128 = sold
            .iter()
            .zip(self.sales)
            .map(|(&k, x)| x.0.raises(k))
            .sum();
        bought - raised
    }

    fn take_all(&mut self, account: usize, left: &[i64], sold: &[i64]) {
        let sales = sold
            .iter()
            .zip(self.sales)
            .map(|(&k, x)| (account, x.0.asset, -k));
        let buys = left
            .iter()
            .zip(self.buys)
            .map(|(&k, b)| (account, b.asset, k));
        let all: Vec<_> = sales.chain(buys).collect();
        self.taken.extend(all);
    }

    /// Whether the buy units `left` and sale units `sold` pack into the accounts from
    /// position `at` on (`None`: out of nodes).
    fn account(&mut self, at: usize, left: &[i64], sold: &[i64]) -> Option<bool> {
        if left.iter().all(|&k| k == 0) && sold.iter().all(|&k| k == 0) {
            return Some(true);
        }
        let Some(&(account, room)) = self.rooms.get(at) else {
            return Some(false);
        };
        if (0..sold.len()).any(|x| sold[x] > self.held_from[x][at]) {
            return Some(false);
        }
        let rest: i128 =
            self.rooms[at..].iter().map(|r| r.1).sum::<i128>() + self.most_raised(sold);
        let cost = self.least_cost(left);
        if cost > rest {
            return Some(false);
        }
        let last = at + 1 == self.rooms.len();
        if last || sold.iter().all(|&k| k == 0) {
            // The last account (or one that pays it all) takes everything left.
            if self.spend_all(left, sold) <= room {
                self.take_all(account, left, sold);
                return Some(true);
            }
            if last {
                return Some(false);
            }
        }
        let key = (at, left.to_vec(), sold.to_vec());
        if self.failed.contains(&key) {
            return Some(false);
        }
        let mut further = vec![0i128; left.len() + 1];
        for j in (0..left.len()).rev() {
            further[j] = further[j + 1] + self.buys[j].cost(left[j]);
        }
        let most_raised: i128 = (0..sold.len())
            .map(|x| i128::from(sold[x].min(self.sales[x].1[at])) * self.sales[x].0.unit)
            .sum();
        let reach = self.reach(room + most_raised, left);
        let bounds = Bounds {
            slack: rest - cost,
            further,
            reach,
        };
        let mut sale = vec![0i64; sold.len()];
        let found = self.sell(at, account, 0, room, left, sold, &mut sale, &bounds)?;
        if !found {
            self.failed.insert(key);
        }
        Some(found)
    }

    /// Every sale of account `account` (position `at`) from sale `s` on that the later
    /// accounts can complete, each followed by its maximal buys.
    #[allow(clippy::too_many_arguments)]
    fn sell(
        &mut self,
        at: usize,
        account: usize,
        s: usize,
        room: i128,
        left: &[i64],
        sold: &[i64],
        sale: &mut Vec<i64>,
        bounds: &Bounds,
    ) -> Option<bool> {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return None;
        }
        if s == sold.len() {
            let rest: Vec<i64> = sold.iter().zip(sale.iter()).map(|(l, k)| l - k).collect();
            let mark = self.taken.len();
            for (x, &k) in sale.iter().enumerate() {
                self.taken.push((account, self.sales[x].0.asset, -k));
            }
            let mut choice = vec![0i64; left.len()];
            if self.choose(at, account, 0, room, left, &rest, &mut choice, bounds)? {
                return Some(true);
            }
            self.taken.truncate(mark);
            return Some(false);
        }
        let most = sold[s].min(self.sales[s].1[at]);
        let least = (sold[s] - self.held_from[s][at + 1]).max(0);
        for k in (least..=most).rev() {
            sale[s] = k;
            let raised = room + self.sales[s].0.raises(k);
            if self.sell(at, account, s + 1, raised, left, sold, sale, bounds)? {
                return Some(true);
            }
        }
        sale[s] = 0;
        Some(false)
    }

    /// The sums the funds from each index on can reach within `room`; `None` when the room
    /// is too large to count or the work would pass the node limit (the search then goes on
    /// without this prune).
    fn reach(&mut self, room: i128, left: &[i64]) -> Option<Vec<Bits>> {
        if room > MAX_BITSET_ROOM {
            return None;
        }
        let size = usize::try_from(room.max(0)).ok()? + 1;
        // A node's worth of work per 2,000 word operations (a copy and a shift per doubling of
        // each fund's units, or per unit where commissions are tabled), charged before the
        // work so the budget bounds the time.
        let words = size.div_ceil(64) as u64;
        let passes: u64 = left
            .iter()
            .zip(self.buys)
            .map(|(&k, b)| {
                let doublings = u64::from(k.max(1).unsigned_abs().ilog2());
                match b.fees {
                    Fees::Zero => 2 + doublings,
                    // One more copy and shift for the order's commission.
                    Fees::Flat(_) => 3 + doublings,
                    Fees::Table(_) => 2 + k.max(0).unsigned_abs(),
                }
            })
            .sum();
        let charge = words * passes / 2_000;
        if self.nodes + charge > self.node_limit {
            return None;
        }
        self.nodes += charge;
        let mut reach = vec![Bits::zero(size); left.len() + 1];
        for j in (0..left.len()).rev() {
            let mut bits = reach[j + 1].clone();
            bits.add_orders(&self.buys[j], left[j]);
            reach[j] = bits;
        }
        Some(reach)
    }

    /// Every maximal choice of buys of account `account` (position `at`) from fund `j` on,
    /// with `room` left, each tried with the accounts after it (`sold`: the sales they still
    /// make).
    #[allow(clippy::too_many_arguments)]
    fn choose(
        &mut self,
        at: usize,
        account: usize,
        j: usize,
        room: i128,
        left: &[i64],
        sold: &[i64],
        choice: &mut Vec<i64>,
        bounds: &Bounds,
    ) -> Option<bool> {
        self.nodes += 1;
        if self.nodes > self.node_limit {
            return None;
        }
        // The leftover must end within the slack: the funds from `j` on must spend at least
        // `room - slack` of the room (and can, per the reachable sums).
        let least = room - bounds.slack;
        if room - bounds.further[j] > bounds.slack {
            return Some(false);
        }
        if let Some(reach) = &bounds.reach
            && !reach[j].any_in(least.max(0), room)
        {
            return Some(false);
        }
        if j == left.len() {
            // Maximal: no unit left that the room still pays (one more unit at its price and
            // whatever more commission it brings).
            let maximal = (0..left.len()).all(|x| {
                let b = &self.buys[x];
                choice[x] == left[x] || b.cost(choice[x] + 1) - b.cost(choice[x]) > room
            });
            if !maximal {
                return Some(false);
            }
            let rest: Vec<i64> = left.iter().zip(choice.iter()).map(|(l, c)| l - c).collect();
            let mark = self.taken.len();
            for (x, &k) in choice.iter().enumerate() {
                self.taken.push((account, self.buys[x].asset, k));
            }
            if self.account(at + 1, &rest, sold)? {
                return Some(true);
            }
            self.taken.truncate(mark);
            return Some(false);
        }
        let most = self.buys[j].most(room, left[j]);
        for k in (0..=most).rev() {
            choice[j] = k;
            let after = room - self.buys[j].cost(k);
            if self.choose(at, account, j + 1, after, left, sold, choice, bounds)? {
                return Some(true);
            }
        }
        choice[j] = 0;
        Some(false)
    }
}

/// A set of sums 0..len as bits.
#[derive(Clone)]
struct Bits {
    words: Vec<u64>,
    len: usize,
}

impl Bits {
    /// Only the sum 0.
    fn zero(len: usize) -> Self {
        let mut words = vec![0u64; len.div_ceil(64)];
        words[0] = 1;
        Self { words, len }
    }

    /// Adds 0..=count multiples of `step` to every sum (bounded by binary splitting).
    fn add_multiples(&mut self, step: usize, count: i64) {
        let mut left = count.max(0) as u64;
        let mut chunk = 1u64;
        while left > 0 {
            let k = chunk.min(left);
            let Some(shift) = step.checked_mul(k as usize) else {
                return;
            };
            self.or_shifted(shift);
            left -= k;
            chunk *= 2;
        }
    }

    /// Adds the cost of every order of 0..=count units of `line` to every sum.
    fn add_orders(&mut self, line: &Line, count: i64) {
        if count <= 0 {
            return;
        }
        let step = usize::try_from(line.unit).unwrap_or(usize::MAX);
        match &line.fees {
            Fees::Zero => self.add_multiples(step, count),
            Fees::Flat(_) => {
                // 1..=count units, each with the same commission: the multiples of 0..count-1,
                // shifted by one unit and its commission.
                let mut orders = self.clone();
                orders.add_multiples(step, count - 1);
                if let Ok(shift) = usize::try_from(line.cost(1)) {
                    self.or_shifted_from(&orders, shift);
                }
            }
            Fees::Table(_) => {
                let none = self.clone();
                for k in 1..=count {
                    let Ok(shift) = usize::try_from(line.cost(k)) else {
                        break;
                    };
                    if shift >= self.len {
                        break;
                    }
                    self.or_shifted_from(&none, shift);
                }
            }
        }
    }

    /// Adds every sum plus `shift`, in place (high words first read the low ones unchanged).
    fn or_shifted(&mut self, shift: usize) {
        if shift >= self.len {
            return;
        }
        for w in (shift / 64..self.words.len()).rev() {
            self.words[w] |= shifted_word(&self.words, w, shift);
        }
        self.trim();
    }

    /// Adds every sum of `from` plus `shift`.
    fn or_shifted_from(&mut self, from: &Bits, shift: usize) {
        if shift >= self.len {
            return;
        }
        for w in (shift / 64..self.words.len()).rev() {
            self.words[w] |= shifted_word(&from.words, w, shift);
        }
        self.trim();
    }

    /// Clears the bits past the length.
    fn trim(&mut self) {
        let extra = self.words.len() * 64 - self.len;
        if extra > 0
            && let Some(last) = self.words.last_mut()
        {
            *last &= u64::MAX >> extra;
        }
    }

    /// Whether some sum in `lo..=hi` is reachable.
    fn any_in(&self, lo: i128, hi: i128) -> bool {
        let hi = hi.min(self.len as i128 - 1);
        if lo > hi {
            return false;
        }
        let (lo, hi) = (lo as usize, hi as usize);
        let (first, last) = (lo / 64, hi / 64);
        for w in first..=last {
            let mut v = self.words[w];
            if w == first {
                v &= u64::MAX << (lo % 64);
            }
            if w == last && hi % 64 < 63 {
                v &= u64::MAX >> (63 - hi % 64);
            }
            if v != 0 {
                return true;
            }
        }
        false
    }
}

/// Word `w` of `words` shifted up by `shift` bits (`w` at least `shift / 64`).
fn shifted_word(words: &[u64], w: usize, shift: usize) -> u64 {
    let (whole, bits) = (shift / 64, shift % 64);
    let mut v = words[w - whole] << bits;
    if bits > 0 && w > whole {
        v |= words[w - whole - 1] >> (64 - bits);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A test commission: at least `least`, `per` a unit (cents); none without an order.
    #[derive(Clone, Copy, Debug)]
    struct Fee {
        least: i64,
        per: i64,
    }

    impl Fee {
        const NONE: Fee = Fee { least: 0, per: 0 };

        fn of(self, units: i64) -> i64 {
            if units == 0 {
                0
            } else {
                self.least.max(self.per * units)
            }
        }
    }

    /// A buy for the brute force: units, cost of one unit, commission.
    type TestBuy = (i64, i64, Fee);
    /// A sale for the brute force: units, what one unit raises, holding per account, commission.
    type TestSale = (i64, i64, Vec<i64>, Fee);

    /// Whether the buys fit, by trying every split of every fund over the accounts.
    fn brute_force(rooms: &[i64], buys: &[TestBuy]) -> bool {
        fn place(rooms: &mut [i64], buys: &[TestBuy], j: usize, a: usize, left: i64) -> bool {
            if j == buys.len() {
                return true;
            }
            let (_, price, fee) = buys[j];
            let next = buys.get(j + 1).map_or(0, |b| b.0);
            let last = a + 1 == rooms.len();
            let upto = if last { left..=left } else { 0..=left };
            for k in upto {
                let cost = k * price + fee.of(k);
                if cost > rooms[a] {
                    break;
                }
                rooms[a] -= cost;
                let fits = if last {
                    place(rooms, buys, j + 1, 0, next)
                } else {
                    place(rooms, buys, j, a + 1, left - k)
                };
                rooms[a] += cost;
                if fits {
                    return true;
                }
            }
            false
        }
        let mut rooms = rooms.to_vec();
        place(&mut rooms, buys, 0, 0, buys.first().map_or(0, |b| b.0))
    }

    /// Whether sales and buys fit, by trying every split of every sale within the holdings,
    /// then every split of the buys.
    fn brute_force_with_sales(rooms: &[i64], sales: &[TestSale], buys: &[TestBuy]) -> bool {
        fn split(
            rooms: &mut Vec<i64>,
            sales: &[TestSale],
            buys: &[TestBuy],
            s: usize,
            a: usize,
            left: i64,
        ) -> bool {
            if s == sales.len() {
                return brute_force(rooms, buys);
            }
            let (_, raises, held, fee) = &sales[s];
            let last = a + 1 == rooms.len();
            if last && left > held[a] {
                return false;
            }
            let upto = if last {
                left..=left
            } else {
                0..=left.min(held[a])
            };
            for k in upto {
                let raised = k * raises - fee.of(k);
                rooms[a] += raised;
                let fits = if last {
                    let first = sales.get(s + 1).map_or(0, |x| x.0);
                    split(rooms, sales, buys, s + 1, 0, first)
                } else {
                    split(rooms, sales, buys, s, a + 1, left - k)
                };
                rooms[a] -= raised;
                if fits {
                    return true;
                }
            }
            false
        }
        let mut rooms = rooms.to_vec();
        let first = sales.first().map_or(0, |x| x.0);
        split(&mut rooms, sales, buys, 0, 0, first)
    }

    fn fee_strategy() -> impl Strategy<Value = Fee> {
        prop_oneof![
            Just(Fee::NONE),
            (1i64..80).prop_map(|least| Fee { least, per: 0 }),
            (1i64..80, 1i64..30).prop_map(|(least, per)| Fee { least, per }),
        ]
    }

    /// The commission closure `pack` takes, by asset index.
    fn commissions(fees: &[Fee]) -> impl Fn(usize, i64) -> Decimal + '_ {
        move |asset, units| d(fees[asset].of(units.abs()))
    }

    proptest! {
        /// With sales too: the same answer as brute force, and a packing sells within each
        /// account's holding and keeps each account's cash, commissions paid.
        #[test]
        fn packs_sales_and_buys_exactly_when_brute_force_does(
            rooms in proptest::collection::vec(0i64..600, 2..=3),
            sales in proptest::collection::vec(
                (1i64..5, 50i64..400, proptest::collection::vec(0i64..4, 3), fee_strategy()),
                1..=2,
            ),
            buys in proptest::collection::vec((1i64..5, 50i64..500, fee_strategy()), 1..=2),
        ) {
            let m = rooms.len();
            // Units sold never beyond what the accounts hold together.
            let sales: Vec<TestSale> = sales
                .into_iter()
                .map(|(u, r, h, f)| {
                    let held: Vec<i64> = h[..m].to_vec();
                    (u.min(held.iter().sum()), r, held, f)
                })
                .filter(|s| s.0 > 0)
                .collect();
            let as_rooms: Vec<(usize, Decimal)> =
                rooms.iter().enumerate().map(|(a, &r)| (a, d(r))).collect();
            // Assets: sales first, then buys.
            let as_sales: Vec<Sale> = sales
                .iter()
                .enumerate()
                .map(|(i, (u, r, h, _))| (i, *u, d(*r), h.iter().copied().enumerate().collect()))
                .collect();
            let as_buys: Vec<Buy> = buys
                .iter()
                .enumerate()
                .map(|(i, &(u, c, _))| (sales.len() + i, u, d(c)))
                .collect();
            let fees: Vec<Fee> =
                sales.iter().map(|x| x.3).chain(buys.iter().map(|b| b.2)).collect();
            let expected = brute_force_with_sales(&rooms, &sales, &buys);
            match pack(&as_rooms, &as_sales, &as_buys, None, &commissions(&fees), 1_000_000).0 {
                Packed::Fits(parts) => {
                    prop_assert!(expected, "packed what brute force cannot");
                    let price = |i: usize| {
                        if i < sales.len() { sales[i].1 } else { buys[i - sales.len()].1 }
                    };
                    for (a, &room) in rooms.iter().enumerate() {
                        let net: i64 = parts
                            .iter()
                            .filter(|p| p.0 == a)
                            .map(|p| p.2 * price(p.1) + fees[p.1].of(p.2.abs()))
                            .sum();
                        prop_assert!(net <= room, "account {a} spends {net} net of {room}");
                        for (i, s) in sales.iter().enumerate() {
                            let sold: i64 =
                                parts.iter().filter(|p| p.0 == a && p.1 == i).map(|p| -p.2).sum();
                            prop_assert!(sold <= s.2[a], "account {a} sells {sold} of {}", s.2[a]);
                        }
                    }
                    for (i, s) in sales.iter().enumerate() {
                        let sold: i64 = parts.iter().filter(|p| p.1 == i).map(|p| -p.2).sum();
                        prop_assert_eq!(sold, s.0);
                    }
                    for (i, &(units, _, _)) in buys.iter().enumerate() {
                        let placed: i64 =
                            parts.iter().filter(|p| p.1 == sales.len() + i).map(|p| p.2).sum();
                        prop_assert_eq!(placed, units);
                    }
                }
                Packed::Never => prop_assert!(!expected, "missed a packing"),
                Packed::Unknown => prop_assert!(false, "undecided within a million nodes"),
            }
        }

        /// The packing's answer is brute force's, and every packing it gives places every unit
        /// within every account's cash, each account order paying its commission.
        #[test]
        fn packs_exactly_when_brute_force_does(
            rooms in proptest::collection::vec(0i64..2_000, 2..=3),
            buys in proptest::collection::vec((1i64..6, 50i64..700, fee_strategy()), 1..=3),
            last in proptest::option::of(0usize..3),
        ) {
            // Whichever account is filled last, the answer is the same.
            let last = last.filter(|&x| x < rooms.len());
            let as_rooms: Vec<(usize, Decimal)> =
                rooms.iter().enumerate().map(|(a, &r)| (a, d(r))).collect();
            let as_buys: Vec<Buy> =
                buys.iter().enumerate().map(|(i, &(u, c, _))| (i, u, d(c))).collect();
            let fees: Vec<Fee> = buys.iter().map(|b| b.2).collect();
            let expected = brute_force(&rooms, &buys);
            match pack(&as_rooms, &[], &as_buys, last, &commissions(&fees), 1_000_000).0 {
                Packed::Fits(parts) => {
                    prop_assert!(expected, "packed what brute force cannot");
                    for (a, &room) in rooms.iter().enumerate() {
                        let spent: i64 = parts
                            .iter()
                            .filter(|p| p.0 == a)
                            .map(|p| p.2 * buys[p.1].1 + fees[p.1].of(p.2))
                            .sum();
                        prop_assert!(spent <= room, "account {a} spends {spent} of {room}");
                    }
                    for (i, &(units, _, _)) in buys.iter().enumerate() {
                        let placed: i64 = parts.iter().filter(|p| p.1 == i).map(|p| p.2).sum();
                        prop_assert_eq!(placed, units);
                    }
                }
                Packed::Never => prop_assert!(!expected, "missed a packing"),
                Packed::Unknown => prop_assert!(false, "undecided within a million nodes"),
            }
        }
    }

    fn d(cents: i64) -> Decimal {
        Decimal::new(cents, 2)
    }

    fn free(_: usize, _: i64) -> Decimal {
        Decimal::ZERO
    }

    #[test]
    fn spreads_several_funds_over_accounts_to_their_last_cents() {
        // 24 of 301.41, 12 of 236.21 and 4 of 286.49 into four accounts: only a packing that
        // splits the first fund over several accounts fits.
        let rooms = [
            (0, d(241_947)),
            (1, d(121_516)),
            (2, d(305_820)),
            (3, d(457_320)),
        ];
        let buys = [(1, 24, d(30_141)), (0, 12, d(23_621)), (2, 4, d(28_649))];
        let (answer, _) = pack(&rooms, &[], &buys, None, &free, 1_000_000);
        let Packed::Fits(parts) = answer else {
            panic!("a packing exists")
        };
        for &(account, cash) in &rooms {
            let spent: Decimal = parts
                .iter()
                .filter(|p| p.0 == account)
                .map(|&(_, i, k)| Decimal::from(k) * buys.iter().find(|b| b.0 == i).unwrap().2)
                .sum();
            assert!(spent <= cash, "account {account} spends {spent} of {cash}");
        }
        for &(i, units, _) in &buys {
            let placed: i64 = parts.iter().filter(|p| p.1 == i).map(|p| p.2).sum();
            assert_eq!(placed, units);
        }
    }

    #[test]
    fn says_never_when_the_last_cents_do_not_add_up() {
        // Accounts of 150 and 160 (310 in all) cannot pay two units of 100 and one of 100.01
        // (300.01 in all): each pays one unit only.
        let rooms = [(0, d(15_000)), (1, d(16_000))];
        let buys = [(0, 2, d(10_000)), (1, 1, d(10_001))];
        assert!(matches!(
            pack(&rooms, &[], &buys, None, &free, 10_000).0,
            Packed::Never
        ));
    }

    #[test]
    fn a_split_order_pays_a_commission_in_each_account() {
        // 3 units of 100 into accounts of 200.50 and 102: free, 2 + 1 fits; with a commission
        // of 1.00 an order, the two units cost 201.00, so it never fits.
        let rooms = [(0, d(20_050)), (1, d(10_200))];
        let buys = [(0, 3, d(10_000))];
        assert!(matches!(
            pack(&rooms, &[], &buys, None, &free, 10_000).0,
            Packed::Fits(_)
        ));
        let flat = |_: usize, _: i64| d(100);
        assert!(matches!(
            pack(&rooms, &[], &buys, None, &flat, 10_000).0,
            Packed::Never
        ));
    }

    #[test]
    fn reachable_sums_are_the_bounded_multiples() {
        let mut bits = Bits::zero(200);
        bits.add_multiples(7, 3);
        bits.add_multiples(64, 2);
        let reachable: Vec<i128> = (0..200).filter(|&s| bits.any_in(s, s)).collect();
        let mut expected: Vec<i128> = (0..=3)
            .flat_map(|a| (0..=2).map(move |b| 7 * a + 64 * b))
            .collect();
        expected.sort_unstable();
        assert_eq!(reachable, expected);
        assert!(!bits.any_in(22, 63));
        assert!(bits.any_in(50, 71));
    }

    #[test]
    fn reachable_sums_count_each_orders_commission_once() {
        // 0..=3 units of 7 with a commission of 2 an order (flat), then of 5 with 1 a unit
        // (tabled): the sums are every pair of order costs.
        let flat = Line {
            asset: 0,
            units: 3,
            unit: 7,
            fees: Fees::Flat(2),
        };
        let tabled = Line {
            asset: 1,
            units: 3,
            unit: 5,
            fees: Fees::Table(vec![0, 1, 2, 3]),
        };
        let mut bits = Bits::zero(100);
        bits.add_orders(&flat, 3);
        bits.add_orders(&tabled, 3);
        let reachable: Vec<i128> = (0..100).filter(|&s| bits.any_in(s, s)).collect();
        let (flat, tabled) = (&flat, &tabled);
        let mut expected: Vec<i128> = (0..=3)
            .flat_map(|a| (0..=3).map(move |b| flat.cost(a) + tabled.cost(b)))
            .collect();
        expected.sort_unstable();
        expected.dedup();
        assert_eq!(reachable, expected);
    }
}
