import { BUILD_TIMEOUT_MS } from '../helpers.js';
import { describe, expect, it } from 'vitest';
import { Data } from '../../../infra/constructs/data.js';
import { bareStack, templateOf } from './support.js';

describe('Data', { timeout: BUILD_TIMEOUT_MS }, () => {
  it('makes one retained, deletion-protected, on-demand pk/sk table with PITR and TTL on `ttl`', () => {
    const stack = bareStack();
    new Data(stack, 'Data');
    const t = templateOf(stack);
    const tables = t.findResources('AWS::DynamoDB::GlobalTable');
    expect(Object.keys(tables)).toHaveLength(1);
    const [table] = Object.values(tables) as { DeletionPolicy: string; Properties: Record<string, unknown> }[];
    expect(table!.DeletionPolicy).toBe('Retain');
    expect(table!.Properties).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
      Replicas: [expect.objectContaining({ DeletionProtectionEnabled: true, PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true } })],
    });
  });

});
