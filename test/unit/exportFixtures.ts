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
