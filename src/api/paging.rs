//! When to stop reading the pages of a list (`list --all`, `A`, devices, segments).
//!
//! The server's `meta` is a claim, not a promise: a server that says it has 10^9 pages, or that
//! answers a page past the end with the last page again, must not keep flowdash reading (and
//! spending the key's budget) forever. The list ends at the first of:
//!
//! - an empty page, or a short one (fewer items than a page holds);
//! - as many items as the server's total counts;
//! - page `total / per_page + 1` (one page of slack for flows created while reading), or the
//!   server's page count when that is smaller; a later page never raises the bound;
//! - a page that only repeats the one before (a server that ignores `page`); it is dropped.
//!
//! A list can also change while it is read: a flow created or deleted between two pages shifts
//! the ones after it, so some are read twice and others never. [`Pager::changed`] tells.

use std::collections::HashSet;
use std::hash::Hash;

use super::wire::Page;

/// Follows the pages of one list, read in order from page 1.
#[derive(Debug, Default)]
pub(crate) struct Pager {
    /// The last page worth asking for, from the counts seen so far.
    limit: Option<u32>,
    /// The page count to show while reading.
    expected: Option<u32>,
    /// Items kept so far, and how many the last kept page held.
    kept: u64,
    last_len: usize,
    /// The total of the first page that had one, the last one, and whether they ever differed.
    first_total: Option<u64>,
    last_total: Option<u64>,
    total_moved: bool,
}

impl Pager {
    /// True when `page` only repeats the page kept before it, whose items end `so_far`: such a
    /// page is dropped and the list ends there.
    pub(crate) fn is_repeat<T: PartialEq>(&self, so_far: &[T], page: &Page<T>) -> bool {
        !page.items.is_empty() && page.items.len() == self.last_len && so_far.ends_with(&page.items)
    }

    /// Takes note of page `number`, kept, and says whether another page is worth asking for.
    pub(crate) fn more<T>(&mut self, number: u32, page: &Page<T>) -> bool {
        let len = page.items.len();
        if let Some(t) = page.total {
            self.total_moved |= self.first_total.is_some_and(|first| first != t);
            self.first_total.get_or_insert(t);
            self.last_total = Some(t);
        }
        self.kept += len as u64;
        self.last_len = len;
        let per_page = page.per_page.max(1);
        let by_total = page
            .total
            .map(|t| u32::try_from(t / u64::from(per_page) + 1).unwrap_or(u32::MAX));
        let claim = page.total_pages.into_iter().chain(by_total).min();
        self.limit = self.limit.into_iter().chain(claim).min();
        self.expected = page.pages();
        if len == 0 || len < per_page as usize {
            return false;
        }
        if page.total.is_some_and(|t| self.kept >= t) {
            return false;
        }
        self.limit.is_none_or(|limit| number < limit)
    }

    /// True when the list changed while it was read: an item kept twice (by `keys`, one per
    /// item kept), a total that moved between pages, or fewer distinct items than the total.
    pub(crate) fn changed<K: Eq + Hash>(&self, keys: impl IntoIterator<Item = K>) -> bool {
        let mut seen = HashSet::new();
        for k in keys {
            if !seen.insert(k) {
                return true;
            }
        }
        self.total_moved || self.last_total.is_some_and(|t| (seen.len() as u64) < t)
    }

    /// How many pages the list has, as far as the server's counts agree; for progress.
    pub(crate) fn expected(&self) -> Option<u32> {
        self.expected
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Page `n` of a list whose items are all different.
    fn page(
        n: u32,
        len: u32,
        per_page: u32,
        total: Option<u64>,
        total_pages: Option<u32>,
    ) -> Page<u32> {
        Page {
            items: (n * 10_000..n * 10_000 + len).collect(),
            page: n,
            per_page,
            total,
            total_pages,
        }
    }

    /// How many pages a reader asks for when every page is `answer(n)`.
    fn pages_read(answer: impl Fn(u32) -> Page<u32>) -> u32 {
        let mut pager = Pager::default();
        let mut so_far: Vec<u32> = Vec::new();
        for n in 1..=10_000 {
            let p = answer(n);
            if pager.is_repeat(&so_far, &p) {
                return n;
            }
            so_far.extend(&p.items);
            if !pager.more(n, &p) {
                return n;
            }
        }
        panic!("never stopped");
    }

    #[test]
    fn an_honest_server_is_read_to_its_last_page() {
        assert_eq!(
            pages_read(|n| page(n, if n < 3 { 10 } else { 4 }, 10, Some(24), Some(3))),
            3
        );
        // A total that is a whole number of pages: no extra request for an empty page.
        assert_eq!(pages_read(|n| page(n, 10, 10, Some(30), Some(3))), 3);
        // No counts at all: until the short page.
        assert_eq!(
            pages_read(|n| page(n, if n < 5 { 10 } else { 0 }, 10, None, None)),
            5
        );
    }

    #[test]
    fn a_short_or_empty_page_ends_the_list_whatever_meta_claims() {
        assert_eq!(pages_read(|n| page(n, 7, 10, None, Some(1_000_000_000))), 1);
        assert_eq!(
            pages_read(|n| page(n, if n == 1 { 10 } else { 0 }, 10, None, Some(u32::MAX))),
            2
        );
    }

    #[test]
    fn a_page_count_beyond_the_total_is_not_believed() {
        // Full pages of new items forever, a true total and a lying page count.
        let mut pager = Pager::default();
        let p = |n| page(n, 10, 10, Some(25), Some(1_000_000_000));
        assert!(pager.more(1, &p(1)));
        assert_eq!(pager.expected(), Some(3));
        assert!(pager.more(2, &p(2)));
        assert!(!pager.more(3, &p(3)), "25 flows are read");
        // A total that grows while reading does not raise the bound of the first page:
        // 15 / 10 + 1 = 2 pages.
        let mut pager = Pager::default();
        assert!(pager.more(1, &page(1, 10, 10, Some(15), None)));
        assert!(!pager.more(2, &page(2, 10, 10, Some(1_000_000), None)));
    }

    #[test]
    fn a_list_that_changed_between_pages_is_told() {
        let read = |pages: &[Page<u32>]| {
            let mut pager = Pager::default();
            let mut kept = Vec::new();
            for (n, p) in (1..).zip(pages) {
                pager.more(n, p);
                kept.extend(p.items.iter().copied());
            }
            pager.changed(kept)
        };
        let honest = [
            page(1, 10, 10, Some(14), None),
            page(2, 4, 10, Some(14), None),
        ];
        assert!(!read(&honest));
        // The total moved between the pages.
        let moved = [
            page(1, 10, 10, Some(14), None),
            page(2, 4, 10, Some(13), None),
        ];
        assert!(read(&moved));
        // An item read twice: a flow before it was deleted after page 1.
        let mut twice = page(2, 4, 10, Some(14), None);
        twice.items[0] = 10_000;
        assert!(read(&[page(1, 10, 10, Some(14), None), twice]));
        // Fewer items than the total: a gap.
        assert!(read(&[
            page(1, 10, 10, Some(15), None),
            page(2, 4, 10, Some(15), None)
        ]));
    }

    #[test]
    fn a_page_that_repeats_the_one_before_ends_the_list() {
        // A server that ignores `page`: the same full page, and counts to match its lie.
        let lie = |_| page(1, 10, 10, Some(10_000_000_000), Some(1_000_000_000));
        assert_eq!(pages_read(lie), 2);
        let mut pager = Pager::default();
        let first = page(1, 10, 10, None, None);
        assert!(!pager.is_repeat(&[], &first));
        assert!(pager.more(1, &first));
        assert!(pager.is_repeat(&first.items, &first));
    }
}
