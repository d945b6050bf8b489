//! Whether a household's buys fit its accounts' own cash, decided exactly: the natural splits
//! (one account, accounts filled in turn) miss packings that spread several funds over several
//! accounts to their last cents, and a candidate refused for want of one is then unproven.
//!
//! Accounts are filled one at a time, each with a *maximal* choice (no remaining unit it could
//! still pay): if any packing exists, one exists in which every account but the last is
//! maximal, since a unit moved from a later account into an earlier one that can pay it leaves
//! the later one with more cash. All leftovers add up to the slack (the accounts' cash minus
//! the buys), so each account's choice must land within the slack of its room: which sums its
//! funds can reach is known from a bitset, and a branch that cannot land there is cut. Sales,
//! when given, are chosen per account first (every amount its holding and the later accounts'
//! holdings allow), then its maximal buys with the cash they raise. Only for orders without
//! commissions or minimum sizes, where an account's cash is linear in its units. Money is in
//! integer minor units (the finest scale of the prices and cash).

use std::collections::HashSet;

use rust_decimal::Decimal;

/// The answer: a packing (account, asset, units; negative: a sale), none at all, or not
/// decided within the node limit (or in amounts too fine to count in integers).
pub(super) enum Packed {
    Fits(Vec<(usize, usize, i64)>),
    Never,
    Unknown,
}

/// One buy: asset, units, cost of one unit.
pub(super) type Buy = (usize, i64, Decimal);

/// One sale: asset, units, what one unit raises, and what each account holds (by account).
pub(super) type Sale = (usize, i64, Decimal, Vec<(usize, i64)>);

/// Finest scale the integer units take (beyond, the answer is `Unknown`).
const MAX_SCALE: u32 = 8;
/// Largest room (in minor units) the reachable-sum bitsets cover; beyond, no bitset prune.
const MAX_BITSET_ROOM: i128 = 1 << 22;

/// Packs `sales` and `buys` into `rooms` (account, cash it may spend), visiting at most
/// `node_limit` nodes; returns the answer and the nodes visited. With `last`, that room is
/// filled last (the account a deposit goes to: WLOG only one account spends beyond its own
/// cash, since a unit moved from one such account to another leaves the deposit they need
/// the same).
pub(super) fn pack(
    rooms: &[(usize, Decimal)],
    sales: &[Sale],
    buys: &[Buy],
    last: Option<usize>,
    node_limit: u64,
) -> (Packed, u64) {
    let scale = rooms
        .iter()
        .map(|r| r.1.normalize().scale())
        .chain(buys.iter().map(|b| b.2.normalize().scale()))
        .chain(sales.iter().map(|x| x.2.normalize().scale()))
        .max()
        .unwrap_or(0);
    if scale > MAX_SCALE {
        return (Packed::Unknown, 0);
    }
    let factor = Decimal::from(10i64.pow(scale));
    let minor = |x: Decimal| (x * factor).trunc().mantissa();
    let mut buys: Vec<(usize, i64, i128)> = buys.iter().map(|b| (b.0, b.1, minor(b.2))).collect();
    if buys.iter().any(|b| b.2 <= 0) || sales.iter().any(|x| x.2 <= Decimal::ZERO) {
        return (Packed::Unknown, 0);
    }
    // Dearest first: they leave the fewest choices.
    buys.sort_by(|x, y| y.2.cmp(&x.2).then(x.0.cmp(&y.0)));
    // Least room first: its maximal choices are the fewest.
    let mut rooms: Vec<(usize, i128)> = rooms.iter().map(|r| (r.0, minor(r.1))).collect();
    rooms.sort_by(|x, y| {
        (Some(x.0) == last)
            .cmp(&(Some(y.0) == last))
            .then(x.1.cmp(&y.1))
            .then(x.0.cmp(&y.0))
    });
    // Each sale's holding by room position, and what the rooms from each position on hold.
    let sales: Vec<(usize, i64, i128, Vec<i64>)> = sales
        .iter()
        .map(|(asset, units, raises, held)| {
            let by_room = rooms
                .iter()
                .map(|r| held.iter().filter(|h| h.0 == r.0).map(|h| h.1).sum())
                .collect();
            (*asset, *units, minor(*raises), by_room)
        })
        .collect();
    let held_from: Vec<Vec<i64>> = sales
        .iter()
        .map(|x| {
            let mut from = vec![0i64; rooms.len() + 1];
            for p in (0..rooms.len()).rev() {
                from[p] = from[p + 1] + x.3[p];
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
    let left: Vec<i64> = buys.iter().map(|b| b.1).collect();
    let sold: Vec<i64> = sales.iter().map(|x| x.1).collect();
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
    buys: &'a [(usize, i64, i128)],
    /// Asset, units, what a unit raises, holding by room position.
    sales: &'a [(usize, i64, i128, Vec<i64>)],
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
    /// What the funds from each index on could still spend.
    further: Vec<i128>,
    /// The sums the funds from each index on can reach (up to the room), when counted.
    reach: Option<Vec<Bits>>,
}

impl Packer<'_> {
    fn cost(&self, left: &[i64]) -> i128 {
        left.iter()
            .zip(self.buys)
            .map(|(&k, b)| i128::from(k) * b.2)
            .sum()
    }

    fn raised(&self, sold: &[i64]) -> i128 {
        sold.iter()
            .zip(self.sales)
            .map(|(&k, x)| i128::from(k) * x.2)
            .sum()
    }

    fn take_all(&mut self, account: usize, left: &[i64], sold: &[i64]) {
        let sales = sold
            .iter()
            .zip(self.sales)
            .map(|(&k, x)| (account, x.0, -k));
        let buys = left.iter().zip(self.buys).map(|(&k, b)| (account, b.0, k));
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
        let rest: i128 = self.rooms[at..].iter().map(|r| r.1).sum::<i128>() + self.raised(sold);
        let cost = self.cost(left);
        if cost > rest {
            return Some(false);
        }
        let no_sales = sold.iter().all(|&k| k == 0);
        if at + 1 == self.rooms.len() || (no_sales && cost <= room) {
            // The last account (or one that pays it all) takes everything left.
            self.take_all(account, left, sold);
            return Some(true);
        }
        let key = (at, left.to_vec(), sold.to_vec());
        if self.failed.contains(&key) {
            return Some(false);
        }
        let mut further = vec![0i128; left.len() + 1];
        for j in (0..left.len()).rev() {
            further[j] = further[j + 1] + i128::from(left[j]) * self.buys[j].2;
        }
        let most_raised: i128 = (0..sold.len())
            .map(|x| i128::from(sold[x].min(self.sales[x].3[at])) * self.sales[x].2)
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
                self.taken.push((account, self.sales[x].0, -k));
            }
            let mut choice = vec![0i64; left.len()];
            if self.choose(at, account, 0, room, left, &rest, &mut choice, bounds)? {
                return Some(true);
            }
            self.taken.truncate(mark);
            return Some(false);
        }
        let most = sold[s].min(self.sales[s].3[at]);
        let least = (sold[s] - self.held_from[s][at + 1]).max(0);
        for k in (least..=most).rev() {
            sale[s] = k;
            let raised = room + i128::from(k) * self.sales[s].2;
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
        let size = usize::try_from(room).ok()? + 1;
        // A node's worth of work per 2,000 word operations (a copy and a shift per doubling of
        // each fund's units), charged before the work so the budget bounds the time.
        let words = size.div_ceil(64) as u64;
        let passes: u64 = left
            .iter()
            .map(|&k| 2 + u64::from(k.max(1).unsigned_abs().ilog2()))
            .sum();
        let charge = words * passes / 2_000;
        if self.nodes + charge > self.node_limit {
            return None;
        }
        self.nodes += charge;
        let mut reach = vec![Bits::zero(size); left.len() + 1];
        for j in (0..left.len()).rev() {
            let mut bits = reach[j + 1].clone();
            bits.add_multiples(usize::try_from(self.buys[j].2).unwrap_or(size), left[j]);
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
            // Maximal: no unit left that the room still pays.
            let maximal = (0..left.len()).all(|x| choice[x] == left[x] || self.buys[x].2 > room);
            if !maximal {
                return Some(false);
            }
            let rest: Vec<i64> = left.iter().zip(choice.iter()).map(|(l, c)| l - c).collect();
            let mark = self.taken.len();
            for (x, &k) in choice.iter().enumerate() {
                self.taken.push((account, self.buys[x].0, k));
            }
            if self.account(at + 1, &rest, sold)? {
                return Some(true);
            }
            self.taken.truncate(mark);
            return Some(false);
        }
        let unit = self.buys[j].2;
        let most = i64::try_from(room / unit).unwrap_or(i64::MAX).min(left[j]);
        for k in (0..=most.max(0)).rev() {
            choice[j] = k;
            let after = room - i128::from(k) * unit;
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

    fn or_shifted(&mut self, shift: usize) {
        if shift >= self.len {
            return;
        }
        let (words, bits) = (shift / 64, shift % 64);
        for w in (words..self.words.len()).rev() {
            let mut v = self.words[w - words] << bits;
            if bits > 0 && w > words {
                v |= self.words[w - words - 1] >> (64 - bits);
            }
            self.words[w] |= v;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Whether the buys fit, by trying every split of every fund over the accounts.
    fn brute_force(rooms: &[i64], buys: &[(i64, i64)]) -> bool {
        fn place(rooms: &mut [i64], buys: &[(i64, i64)], j: usize, a: usize, left: i64) -> bool {
            if j == buys.len() {
                return true;
            }
            if a + 1 == rooms.len() {
                let cost = left * buys[j].1;
                if cost > rooms[a] {
                    return false;
                }
                rooms[a] -= cost;
                let next = buys.get(j + 1).map_or(0, |b| b.0);
                let fits = place(rooms, buys, j + 1, 0, next);
                rooms[a] += cost;
                return fits;
            }
            for k in 0..=left {
                let cost = k * buys[j].1;
                if cost > rooms[a] {
                    break;
                }
                rooms[a] -= cost;
                let fits = place(rooms, buys, j, a + 1, left - k);
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

    /// Whether sales (units, raises, holding per account) and buys fit, by trying every split
    /// of every sale within the holdings, then every split of the buys.
    fn brute_force_with_sales(
        rooms: &[i64],
        sales: &[(i64, i64, Vec<i64>)],
        buys: &[(i64, i64)],
    ) -> bool {
        fn split(
            rooms: &mut Vec<i64>,
            sales: &[(i64, i64, Vec<i64>)],
            buys: &[(i64, i64)],
            s: usize,
            a: usize,
            left: i64,
        ) -> bool {
            if s == sales.len() {
                return brute_force(rooms, buys);
            }
            let (_, raises, held) = &sales[s];
            let next = |rooms: &mut Vec<i64>| {
                let first = sales.get(s + 1).map_or(0, |x| x.0);
                split(rooms, sales, buys, s + 1, 0, first)
            };
            if a + 1 == rooms.len() {
                if left > held[a] {
                    return false;
                }
                rooms[a] += left * raises;
                let fits = next(rooms);
                rooms[a] -= left * raises;
                return fits;
            }
            for k in 0..=left.min(held[a]) {
                rooms[a] += k * raises;
                let fits = split(rooms, sales, buys, s, a + 1, left - k);
                rooms[a] -= k * raises;
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

    proptest! {
        /// With sales too: the same answer as brute force, and a packing sells within each
        /// account's holding and keeps each account's cash.
        #[test]
        fn packs_sales_and_buys_exactly_when_brute_force_does(
            rooms in proptest::collection::vec(0i64..600, 2..=3),
            sales in proptest::collection::vec((1i64..5, 50i64..400, proptest::collection::vec(0i64..4, 3)), 1..=2),
            buys in proptest::collection::vec((1i64..5, 50i64..500), 1..=2),
        ) {
            let m = rooms.len();
            // Units sold never beyond what the accounts hold together.
            let sales: Vec<(i64, i64, Vec<i64>)> = sales
                .into_iter()
                .map(|(u, r, h)| {
                    let held: Vec<i64> = h[..m].to_vec();
                    (u.min(held.iter().sum()), r, held)
                })
                .filter(|s| s.0 > 0)
                .collect();
            let as_rooms: Vec<(usize, Decimal)> =
                rooms.iter().enumerate().map(|(a, &r)| (a, d(r))).collect();
            // Assets: sales first, then buys.
            let as_sales: Vec<Sale> = sales
                .iter()
                .enumerate()
                .map(|(i, (u, r, h))| (i, *u, d(*r), h.iter().copied().enumerate().collect()))
                .collect();
            let as_buys: Vec<Buy> = buys
                .iter()
                .enumerate()
                .map(|(i, &(u, c))| (sales.len() + i, u, d(c)))
                .collect();
            let expected = brute_force_with_sales(&rooms, &sales, &buys);
            match pack(&as_rooms, &as_sales, &as_buys, None, 1_000_000).0 {
                Packed::Fits(parts) => {
                    prop_assert!(expected, "packed what brute force cannot");
                    let price = |i: usize| if i < sales.len() { sales[i].1 } else { buys[i - sales.len()].1 };
                    for (a, &room) in rooms.iter().enumerate() {
                        let net: i64 = parts.iter().filter(|p| p.0 == a).map(|p| p.2 * price(p.1)).sum();
                        prop_assert!(net <= room, "account {a} spends {net} net of {room}");
                        for (i, s) in sales.iter().enumerate() {
                            let sold: i64 = parts.iter().filter(|p| p.0 == a && p.1 == i).map(|p| -p.2).sum();
                            prop_assert!(sold <= s.2[a], "account {a} sells {sold} of {}", s.2[a]);
                        }
                    }
                    for (i, s) in sales.iter().enumerate() {
                        let sold: i64 = parts.iter().filter(|p| p.1 == i).map(|p| -p.2).sum();
                        prop_assert_eq!(sold, s.0);
                    }
                    for (i, &(units, _)) in buys.iter().enumerate() {
                        let placed: i64 = parts.iter().filter(|p| p.1 == sales.len() + i).map(|p| p.2).sum();
                        prop_assert_eq!(placed, units);
                    }
                }
                Packed::Never => prop_assert!(!expected, "missed a packing"),
                Packed::Unknown => prop_assert!(false, "undecided within a million nodes"),
            }
        }

        /// The packing's answer is brute force's, and every packing it gives places every unit
        /// within every account's cash.
        #[test]
        fn packs_exactly_when_brute_force_does(
            rooms in proptest::collection::vec(0i64..2_000, 2..=3),
            buys in proptest::collection::vec((1i64..6, 50i64..700), 1..=3),
            last in proptest::option::of(0usize..3),
        ) {
            // Whichever account is filled last, the answer is the same.
            let last = last.filter(|&x| x < rooms.len());
            let as_rooms: Vec<(usize, Decimal)> =
                rooms.iter().enumerate().map(|(a, &r)| (a, d(r))).collect();
            let as_buys: Vec<Buy> =
                buys.iter().enumerate().map(|(i, &(u, c))| (i, u, d(c))).collect();
            let expected = brute_force(&rooms, &buys);
            match pack(&as_rooms, &[], &as_buys, last, 1_000_000).0 {
                Packed::Fits(parts) => {
                    prop_assert!(expected, "packed what brute force cannot");
                    for (a, &room) in rooms.iter().enumerate() {
                        let spent: i64 = parts.iter().filter(|p| p.0 == a).map(|p| p.2 * buys[p.1].1).sum();
                        prop_assert!(spent <= room, "account {a} spends {spent} of {room}");
                    }
                    for (i, &(units, _)) in buys.iter().enumerate() {
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
        let (answer, _) = pack(&rooms, &[], &buys, None, 1_000_000);
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
            pack(&rooms, &[], &buys, None, 10_000).0,
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
}
