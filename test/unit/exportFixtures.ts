// Model texts that more than one export test feeds to the exporter.

/** A layer object applied five times: twice per repetition of an inlined repeated block, and once more. */
export const SHARED_MODEL = `block shared_head(head) {
  input x
  output x -> head -> relu -> head
}

model Shared {
  input x: [8]
  d = dense(8)
  y = x -> d -> shared_head(d) * 2
  output y + x -> d
}
`;

/**
 * Layer objects first applied inside a block body: shared with the caller's later applications, with
 * another call of the same block (an instantiation replayed from the cache), and across the copies of a
 * repeat; an object a block defines is its own in each call of the block, also when a nested block
 * applies it first. Every application of one object is one set of weights.
 */
export const SHARED_IN_BLOCK_MODEL = `block apply_once(proj) {
  input x
  output x -> proj -> relu
}

block apply_twice(proj) {
  input x
  output x -> proj -> relu -> proj -> relu
}

block own_proj(units) {
  input x
  p = dense(units)
  output x -> apply_once(p) -> p
}

model FirstInBlock {
  input x: [4]
  d = dense(4)
  output x -> apply_once(d) -> d -> dense(3)
}

model RepeatedInBlock {
  input x: [4]
  d = dense(4)
  y = x -> apply_twice(d) * 2
  output y -> d -> dense(3)
}

model TwoCalls {
  input x: [4]
  d = dense(4)
  output x -> apply_once(d) -> apply_once(d) -> dense(3)
}

model OwnObjects {
  input x: [4]
  output x -> own_proj(4) -> own_proj(4) -> dense(3)
}
`;
