/**
 * The `/v1/batch` request body, built by string concatenation around the messages' JSON so that no
 * message is serialised twice: `{"batch":[m1,m2,…],"sentAt":"<ISO>"}`
 * (segment-contract.md §1 "batch body"). `sentAt` is set per attempt: Segment corrects timestamps
 * by `receivedAt − sentAt` (§3.1), so it must be the time this very request left.
 *
 * No `writeKey` in the body: the Basic `Authorization` header suffices (§1 "auth (a)"), and keeping
 * the key out of the body keeps it out of anything that logs or stores request bodies.
 */
export function batchBodyPrefix(messages: readonly { json: string }[]): string {
  let text = '{"batch":[';
  for (let i = 0; i < messages.length; i++) {
    text += i === 0 ? messages[i]!.json : `,${messages[i]!.json}`;
  }
  return `${text}],"sentAt":"`;
}

/** Completes a prefix from `batchBodyPrefix` with the send time. */
export function batchBody(prefix: string, sentAt: string): string {
  return `${prefix}${sentAt}"}`;
}

/** UTF-8 bytes of a body from `batchBodyPrefix`: the envelope, the commas and the messages. */
export function batchBodyBytes(messages: readonly { bytes: number }[], sentAtLength = 24): number {
  let bytes = '{"batch":['.length + '],"sentAt":"'.length + sentAtLength + '"}'.length;
  for (const m of messages) bytes += m.bytes;
  return bytes + Math.max(0, messages.length - 1);
}
