import { describe, expect, it } from 'vitest';
import { AssignerProtocol } from 'kafkajs';
import type { Cluster } from 'kafkajs';
import { assignPartitions, stickyInFlightAssigner } from './stickyInFlightAssigner.js';

describe('assignPartitions', () => {
  it('leaves a busy partition with the member that has messages in flight on it, and spreads the rest', () => {
    const assignment = assignPartitions([0, 1, 2, 3], [
      { memberId: 'a', busy: [] },
      { memberId: 'b', busy: [0, 1] },
    ]);
    expect(assignment.get('b')).toEqual([0, 1]);
    expect(assignment.get('a')).toEqual([2, 3]);
  });

  it('gives a partition two members claim to the first in member order, and ignores unknown partitions', () => {
    const assignment = assignPartitions([0, 1], [
      { memberId: 'b', busy: [0] },
      { memberId: 'a', busy: [0, 7] },
    ]);
    expect(assignment.get('a')).toEqual([0]);
    expect(assignment.get('b')).toEqual([1]);
  });

  it('with no claims, spreads evenly', () => {
    const assignment = assignPartitions([0, 1, 2], [
      { memberId: 'a', busy: [] },
      { memberId: 'b', busy: [] },
      { memberId: 'c', busy: [] },
    ]);
    expect([...assignment.values()].map((list) => list.length)).toEqual([1, 1, 1]);
  });
});

describe('stickyInFlightAssigner (the kafkajs assigner)', () => {
  it('carries the busy partitions in the JoinGroup metadata and honours them as leader', async () => {
    const cluster = { findTopicPartitionMetadata: () => [0, 1, 2].map((partitionId) => ({ partitionId })) } as unknown as Cluster;
    const busyMember = stickyInFlightAssigner(() => [2])({ cluster, groupId: 'g', logger: undefined as never });
    const idleMember = stickyInFlightAssigner(() => [])({ cluster, groupId: 'g', logger: undefined as never });
    const members = [
      { memberId: 'a-idle', memberMetadata: idleMember.protocol({ topics: ['t'] }).metadata },
      { memberId: 'b-busy', memberMetadata: busyMember.protocol({ topics: ['t'] }).metadata },
    ];
    const result = await idleMember.assign({ members, topics: ['t'] });
    const of = (id: string) => AssignerProtocol.MemberAssignment.decode(result.find((r) => r.memberId === id)?.memberAssignment ?? Buffer.alloc(0))?.assignment;
    expect(of('b-busy')).toEqual({ t: [2] });
    expect(of('a-idle')).toEqual({ t: [0, 1] });
  });
});
