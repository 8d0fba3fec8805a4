/**
 * The group's partition assigner. kafkajs has no "partitions revoked" callback: once a member sends
 * JoinGroup, the leader may hand any of its partitions to another member while the member's
 * handlers still run, and the new owner fetches the same messages from the committed offset (a
 * concurrent duplicate). So each member says, in the metadata of its JoinGroup (built when it
 * rejoins), which partitions it still has messages in flight on, and the leader leaves those with
 * it; the other partitions are spread evenly. A member keeps a busy partition across the rebalance
 * and finishes and commits its messages; it gives away only partitions it is done with.
 */
import { AssignerProtocol } from 'kafkajs';
import type { Assigner, GroupMember, GroupMemberAssignment, PartitionAssigner } from 'kafkajs';

export const assignerName = 'SagaStickyInFlight';

export interface MemberClaim {
  readonly memberId: string;
  /** Partitions of the topic with messages in flight on this member. */
  readonly busy: readonly number[];
}

/**
 * Who gets which partition: a busy partition stays with the member that claims it (the first one
 * in member order, should two claim it), every other partition goes to the member with the fewest.
 */
export const assignPartitions = (partitions: readonly number[], claims: readonly MemberClaim[]): Map<string, number[]> => {
  const members = [...claims].sort((a, b) => (a.memberId < b.memberId ? -1 : a.memberId > b.memberId ? 1 : 0));
  const assignment = new Map<string, number[]>(members.map((m) => [m.memberId, []]));
  const taken = new Set<number>();
  for (const member of members) {
    for (const partition of member.busy) {
      if (!partitions.includes(partition) || taken.has(partition)) continue;
      taken.add(partition);
      assignment.get(member.memberId)?.push(partition);
    }
  }
  for (const partition of [...partitions].sort((a, b) => a - b)) {
    if (taken.has(partition)) continue;
    const fewest = members.reduce<MemberClaim | undefined>(
      (best, m) => (best === undefined || (assignment.get(m.memberId)?.length ?? 0) < (assignment.get(best.memberId)?.length ?? 0) ? m : best),
      undefined,
    );
    if (fewest !== undefined) assignment.get(fewest.memberId)?.push(partition);
  }
  for (const list of assignment.values()) list.sort((a, b) => a - b);
  return assignment;
};

const decodeClaim = (member: GroupMember, topic: string): MemberClaim => {
  try {
    const metadata = AssignerProtocol.MemberMetadata.decode(member.memberMetadata);
    const parsed: unknown = JSON.parse(metadata?.userData?.toString('utf8') || '{}');
    const busy = (parsed as { busy?: Record<string, unknown> }).busy?.[topic];
    return { memberId: member.memberId, busy: Array.isArray(busy) ? busy.filter((p): p is number => Number.isInteger(p)) : [] };
  } catch {
    // A member that says nothing we understand claims nothing.
    return { memberId: member.memberId, busy: [] };
  }
};

/** The kafkajs assigner; `busy(topic)` is asked when the member (re)joins. */
export const stickyInFlightAssigner =
  (busy: (topic: string) => readonly number[]): PartitionAssigner =>
  ({ cluster }): Assigner => ({
    name: assignerName,
    version: 1,
    async assign({ members, topics }): Promise<GroupMemberAssignment[]> {
      const byMember = new Map<string, Record<string, number[]>>(members.map((m) => [m.memberId, {}]));
      for (const topic of topics) {
        const partitions = cluster.findTopicPartitionMetadata(topic).map((p) => p.partitionId);
        const assignment = assignPartitions(
          partitions,
          members.map((m) => decodeClaim(m, topic)),
        );
        for (const [memberId, list] of assignment) {
          const entry = byMember.get(memberId);
          if (entry !== undefined && list.length > 0) entry[topic] = list;
        }
      }
      return [...byMember].map(([memberId, assignment]) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 1, assignment, userData: Buffer.alloc(0) }),
      }));
    },
    protocol({ topics }) {
      const claims = Object.fromEntries(topics.map((topic) => [topic, [...busy(topic)]]));
      return {
        name: assignerName,
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 1, topics, userData: Buffer.from(JSON.stringify({ busy: claims })) }),
      };
    },
  });
