//! Small ordered containers the broker uses instead of B-trees and extra hash maps (each
//! instantiation of those adds kilobytes to the wasm build): [`TimedQueue`], items ordered by
//! (due time, id); [`TagMap`], deliveries by ascending tag; [`IdMap`], connections and channels
//! by id.

use std::collections::VecDeque;

/// Items ordered by `(due, id)`, earliest first.
#[derive(Debug, Clone)]
pub struct TimedQueue<T> {
    items: VecDeque<(u64, u64, T)>,
}

impl<T> Default for TimedQueue<T> {
    fn default() -> Self {
        TimedQueue { items: VecDeque::new() }
    }
}

impl<T> TimedQueue<T> {
    /// Adds an item due at `due`.
    pub fn insert(&mut self, due: u64, id: u64, item: T) {
        let pos = self.items.partition_point(|(d, i, _)| (*d, *i) < (due, id));
        self.items.insert(pos, (due, id, item));
    }

    /// The earliest due time.
    pub fn next_due(&self) -> Option<u64> {
        self.items.front().map(|(d, _, _)| *d)
    }

    /// Removes the earliest item if it is due at or before `now`.
    pub fn pop_due(&mut self, now: u64) -> Option<(u64, u64, T)> {
        if self.next_due()? <= now {
            self.items.pop_front()
        } else {
            None
        }
    }

    /// The number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }


}

/// Values by ascending `u64` tag; tags are added in increasing order (delivery tags are).
#[derive(Debug, Clone)]
pub struct TagMap<T> {
    items: VecDeque<(u64, T)>,
}

impl<T> Default for TagMap<T> {
    fn default() -> Self {
        TagMap { items: VecDeque::new() }
    }
}

impl<T> TagMap<T> {
    fn find(&self, tag: u64) -> Result<usize, usize> {
        self.items.binary_search_by_key(&tag, |(t, _)| *t)
    }

    /// Adds `value` under `tag`, which must be larger than every tag present.
    pub fn push(&mut self, tag: u64, value: T) {
        debug_assert!(self.items.back().is_none_or(|(t, _)| *t < tag));
        self.items.push_back((tag, value));
    }

    /// Whether `tag` is present.
    pub fn contains(&self, tag: u64) -> bool {
        self.find(tag).is_ok()
    }

    /// Removes `tag`.
    pub fn remove(&mut self, tag: u64) -> Option<T> {
        self.find(tag).ok().and_then(|i| self.items.remove(i)).map(|(_, v)| v)
    }

    /// Removes every value with a tag up to and including `tag`, in tag order.
    pub fn take_up_to(&mut self, tag: u64) -> Vec<T> {
        let end = self.items.partition_point(|(t, _)| *t <= tag);
        self.items.drain(..end).map(|(_, v)| v).collect()
    }

    /// Removes every value, in tag order.
    pub fn take_all(&mut self) -> Vec<T> {
        self.items.drain(..).map(|(_, v)| v).collect()
    }

    /// The number of values.
    pub fn len(&self) -> usize {
        self.items.len()
    }


}

/// A map from small ordered ids to values: a sorted vector with binary search.
#[derive(Debug, Clone)]
pub struct IdMap<K, V> {
    items: Vec<(K, V)>,
}

impl<K, V> Default for IdMap<K, V> {
    fn default() -> Self {
        IdMap { items: Vec::new() }
    }
}

impl<K: Ord + Copy, V> IdMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.items.binary_search_by(|(x, _)| x.cmp(k))
    }

    /// Sets `k`; returns the value it replaced.
    pub fn insert(&mut self, k: K, v: V) -> Option<V> {
        match self.find(&k) {
            Ok(i) => Some(std::mem::replace(&mut self.items[i].1, v)),
            Err(i) => {
                self.items.insert(i, (k, v));
                None
            }
        }
    }

    /// The value of `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.items[i].1)
    }

    /// The value of `k`, mutably.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        self.find(k).ok().map(|i| &mut self.items[i].1)
    }

    /// Whether `k` is present.
    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }

    /// Removes `k`.
    pub fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.items.remove(i).1)
    }
}

/// A hash map with [`FxHasher`]: the broker's keys are names its own application chose, so a
/// fast non-cryptographic hash is the right trade (SipHash showed up at ~10% of publish time).
pub type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FxHasher>>;
/// A hash set with [`FxHasher`].
pub type FastSet<K> = std::collections::HashSet<K, std::hash::BuildHasherDefault<FxHasher>>;

/// The multiply-rotate hash used by rustc (eight bytes at a time).
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

impl std::hash::Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]));
        }
        let mut tail = 0u64;
        for (i, b) in chunks.remainder().iter().enumerate() {
            tail |= (*b as u64) << (i * 8);
        }
        self.add(tail ^ ((bytes.len() as u64) << 56));
    }

    fn write_u8(&mut self, i: u8) {
        self.add(i as u64);
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}
