// The service's one DynamoDB table: every account's reasons, its write log,
// idempotency records and lease (functions/store/layout.ts), and the machine
// clients' account items (functions/platform/machine-clients.ts).
import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { FlatScope } from './flat-logical-ids.js';

/**
 * The DynamoDB operations the store calls, whose throttles the table alarm sums
 * (each one is a metric the alarm is billed for).
 */
export const THROTTLE_ALARM_OPERATIONS = [
  dynamodb.Operation.GET_ITEM,
  dynamodb.Operation.QUERY,
  dynamodb.Operation.UPDATE_ITEM,
  dynamodb.Operation.BATCH_WRITE_ITEM,
  dynamodb.Operation.TRANSACT_WRITE_ITEMS,
  dynamodb.Operation.TRANSACT_GET_ITEMS,
];

/** Nothing to choose: the table's settings are the service's (keys, billing, backups, protection). */
export type DataProps = Record<string, never>;

/**
 * The table, retained and deletion-protected, with point-in-time recovery.
 * Its construct id is `Table` under a FlatScope, so its logical id stays the
 * one it had when the stack was a single scope: a deploy never replaces it.
 */
export class Data extends FlatScope {
  readonly table: dynamodb.TableV2;

  constructor(scope: Construct, id: string, _props: DataProps = {}) {
    super(scope, id);
    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      // Idempotency records (K#<key>) carry their expiry here: DynamoDB deletes them, at no cost, after it.
      timeToLiveAttribute: 'ttl',
      // The change events come from here (infra/constructs/events.ts): each committed history head, as written.
      dynamoStream: dynamodb.StreamViewType.NEW_IMAGE,
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Encrypted at rest with the AWS managed KMS key aws/dynamodb: no key fee,
      // key use is auditable in CloudTrail, and DynamoDB calls KMS only about once
      // per 5 minutes per caller with active traffic (nothing while idle).
      // cdk-nag does not require a customer managed key (which would cost $1/month).
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
