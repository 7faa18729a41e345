//! In-order iteration over the present leaves: ascending keys, since left subtrees hold the
//! keys whose branching bit is 0. Pruned subtrees are skipped (documented on `Tree::iter`).

use super::node::Link;
use crate::primitives::H256;

/// Iterator over `(key, value)` of the present leaves, ascending. Uses an explicit stack of
/// at most 257 pending subtrees (one per level).
#[derive(Debug)]
pub struct Iter<'t> {
    pending: Vec<&'t Link>,
}

impl<'t> Iter<'t> {
    pub(crate) fn new(root: Option<&'t Link>) -> Self {
        Iter {
            pending: root.into_iter().collect(),
        }
    }
}

impl<'t> Iterator for Iter<'t> {
    type Item = (&'t H256, &'t [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        while let Some(node) = self.pending.pop() {
            match node {
                Link::Leaf(leaf) => return Some((leaf.key(), leaf.value())),
                Link::Internal(int) => {
                    self.pending.push(int.right());
                    self.pending.push(int.left());
                }
                Link::Pruned(_) => {}
            }
        }
        None
    }
}
