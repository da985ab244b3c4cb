//! Topic matching by a trie of binding-key words.
//!
//! A routing key is a list of words separated by `.`; in a binding key `*` matches exactly one
//! word and `#` matches zero or more. The trie walks the routing key once, following the literal
//! child, the `*` child and the `#` child of each node, so the cost of a match grows with the
//! length of the key (and the number of `#` in the bindings it meets), not with the number of
//! bindings. As in RabbitMQ, the empty key has zero words: `#` matches it, `*` does not.

use super::collections::FastMap;

/// A trie of topic binding keys, each leading to a set of destinations `D`.
#[derive(Debug)]
pub struct TopicTrie<D> {
    root: Node<D>,
    len: usize,
}

#[derive(Debug)]
struct Node<D> {
    words: FastMap<Box<str>, Node<D>>,
    star: Option<Box<Node<D>>>,
    hash: Option<Box<Node<D>>>,
    dests: Vec<D>,
}

impl<D> Default for Node<D> {
    fn default() -> Self {
        Node { words: FastMap::default(), star: None, hash: None, dests: Vec::new() }
    }
}

impl<D> Node<D> {
    fn is_empty(&self) -> bool {
        self.dests.is_empty() && self.words.is_empty() && self.star.is_none() && self.hash.is_none()
    }
}

fn words(key: &str) -> impl Iterator<Item = &str> {
    let mut it = key.split('.');
    if key.is_empty() {
        it.next();
    }
    it
}

impl<D: PartialEq + Clone> Default for TopicTrie<D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<D: PartialEq + Clone> TopicTrie<D> {
    /// An empty trie.
    pub fn new() -> Self {
        TopicTrie { root: Node::default(), len: 0 }
    }

    /// The number of (binding key, destination) pairs.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the trie holds no binding.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Adds a binding; returns false if that exact binding was already present.
    pub fn insert(&mut self, binding_key: &str, dest: D) -> bool {
        let mut node = &mut self.root;
        for w in words(binding_key) {
            node = match w {
                "*" => node.star.get_or_insert_with(Default::default),
                "#" => node.hash.get_or_insert_with(Default::default),
                _ => node.words.entry(w.into()).or_default(),
            };
        }
        if node.dests.contains(&dest) {
            return false;
        }
        node.dests.push(dest);
        self.len += 1;
        true
    }

    /// Removes a binding; returns whether it was present. Empty branches are pruned.
    pub fn remove(&mut self, binding_key: &str, dest: &D) -> bool {
        let ws: Vec<&str> = words(binding_key).collect();
        let removed = Self::remove_in(&mut self.root, &ws, dest);
        if removed {
            self.len -= 1;
        }
        removed
    }

    fn remove_in(node: &mut Node<D>, ws: &[&str], dest: &D) -> bool {
        let Some((first, rest)) = ws.split_first() else {
            let before = node.dests.len();
            node.dests.retain(|d| d != dest);
            return node.dests.len() != before;
        };
        match *first {
            "*" | "#" => {
                let slot = if *first == "*" { &mut node.star } else { &mut node.hash };
                let Some(child) = slot.as_deref_mut() else { return false };
                let removed = Self::remove_in(child, rest, dest);
                if child.is_empty() {
                    *slot = None;
                }
                removed
            }
            w => {
                let Some(child) = node.words.get_mut(w) else { return false };
                let removed = Self::remove_in(child, rest, dest);
                if child.is_empty() {
                    node.words.remove(w);
                }
                removed
            }
        }
    }

    /// Calls `found` for each destination whose binding key matches `routing_key`. A destination
    /// bound by several matching keys is reported once per key; callers deduplicate.
    pub fn matches(&self, routing_key: &str, found: &mut impl FnMut(&D)) {
        let ws: Vec<&str> = words(routing_key).collect();
        Self::walk(&self.root, &ws, found);
    }

    fn walk(node: &Node<D>, ws: &[&str], found: &mut impl FnMut(&D)) {
        if let Some(hash) = &node.hash {
            // `#` swallows zero or more of the remaining words.
            for skip in 0..=ws.len() {
                Self::walk(hash, &ws[skip..], found);
            }
        }
        let Some((first, rest)) = ws.split_first() else {
            node.dests.iter().for_each(|d| found(d));
            return;
        };
        if let Some(child) = node.words.get(*first) {
            Self::walk(child, rest, found);
        }
        if let Some(star) = &node.star {
            Self::walk(star, rest, found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matched(trie: &TopicTrie<u32>, key: &str) -> Vec<u32> {
        let mut out = Vec::new();
        trie.matches(key, &mut |d| {
            if !out.contains(d) {
                out.push(*d)
            }
        });
        out.sort();
        out
    }

    #[test]
    fn rabbitmq_tutorial_five_bindings() {
        let mut t = TopicTrie::new();
        t.insert("*.orange.*", 1);
        t.insert("*.*.rabbit", 2);
        t.insert("lazy.#", 2);
        assert_eq!(matched(&t, "quick.orange.rabbit"), vec![1, 2]);
        assert_eq!(matched(&t, "lazy.orange.elephant"), vec![1, 2]);
        assert_eq!(matched(&t, "quick.orange.fox"), vec![1]);
        assert_eq!(matched(&t, "lazy.brown.fox"), vec![2]);
        assert_eq!(matched(&t, "lazy.pink.rabbit"), vec![2]);
        assert_eq!(matched(&t, "quick.brown.fox"), Vec::<u32>::new());
        assert_eq!(matched(&t, "orange"), Vec::<u32>::new());
        assert_eq!(matched(&t, "quick.orange.new.rabbit"), Vec::<u32>::new());
        assert_eq!(matched(&t, "lazy.orange.new.rabbit"), vec![2]);
        assert_eq!(matched(&t, "lazy"), vec![2]);
    }

    #[test]
    fn hash_and_star_edge_cases() {
        let mut t = TopicTrie::new();
        t.insert("#", 1);
        t.insert("*", 2);
        t.insert("", 3);
        t.insert("a.#.b", 4);
        t.insert("#.z", 5);
        assert_eq!(matched(&t, ""), vec![1, 3]);
        assert_eq!(matched(&t, "x"), vec![1, 2]);
        assert_eq!(matched(&t, "a.b"), vec![1, 4]);
        assert_eq!(matched(&t, "a.x.y.b"), vec![1, 4]);
        assert_eq!(matched(&t, "z"), vec![1, 2, 5]);
        assert_eq!(matched(&t, "q.r.z"), vec![1, 5]);
        // Empty words are words too.
        assert_eq!(matched(&t, "a..b"), vec![1, 4]);
    }

    #[test]
    fn insert_is_idempotent_and_remove_prunes() {
        let mut t = TopicTrie::new();
        assert!(t.insert("a.*.c", 7));
        assert!(!t.insert("a.*.c", 7));
        assert!(t.insert("a.*.c", 8));
        assert_eq!(t.len(), 2);
        assert!(t.remove("a.*.c", &7));
        assert!(!t.remove("a.*.c", &7));
        assert_eq!(matched(&t, "a.b.c"), vec![8]);
        assert!(t.remove("a.*.c", &8));
        assert!(t.is_empty());
        assert!(t.root.is_empty());
    }
}
