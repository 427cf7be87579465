// Change events (SPEC §6): the stack's EventBridge bus, and the publisher that
// puts each committed history entry on it, fed by the table's stream.
//
// The commit is the outbox: a history head (`H#<rev>`) is written in the same
// transaction as its write, so its INSERT in the stream is the proof the write
// landed, and nothing is published for a write that did not. DynamoDB Streams
// with a Lambda event source mapping, rather than EventBridge Pipes, because
// the publisher has work a pipe's input transformer cannot do: a large entry's
// parts are separate items to read from the table, an entry over EventBridge's
// 256 KB must go out cut short with its counts, and the events' shape and order
// rules are the same code `npm start` runs over DynamoDB Local's stream (there
// is no local Pipes). docs/history.md, "Events", says more.
import { Duration, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { SERVICE_NAME } from '../../functions/platform/metric-names.js';
import { HEAD_PREFIX } from '../../functions/store/history.js';
import { ENTRIES, serviceFunction } from './functions.js';
import { FlatScope } from './flat-logical-ids.js';
import { STREAM_SETTINGS } from '../stream-settings.js';

/** The publisher's timeout: a batch of 100 large entries reads their parts and makes 10 calls. */
export const PUBLISHER_TIMEOUT_SECONDS = 60;

export interface EventsProps {
  /** The service's table; it must have a stream with NEW_IMAGE (infra/constructs/data.ts). */
  readonly table: dynamodb.ITableV2;
  /** The publisher's entry file (tests bundle a fixture); defaults to ENTRIES.publishChanges. */
  readonly entry?: string;
  /** Its exported handler; defaults to `handler`. */
  readonly handler?: string;
  /** Its memory in MB (default 512, as the other functions). */
  readonly memorySize?: number;
}

/** The event bus, the publisher reading the table's stream into it, and the dead-letter queue of records it could not publish. */
export class Events extends FlatScope {
  /** `source` `agent-status-reasons`, `detail-type` `Status reasons changed`: one event per committed history entry. */
  readonly bus: events.EventBus;
  readonly publisher: NodejsFunction;
  /** Records that still failed after every retry (what Lambda's on-failure destination sends: the shard and sequence numbers). */
  readonly deadLetterQueue: sqs.Queue;
  readonly mapping: lambda.EventSourceMapping;

  constructor(scope: Construct, id: string, props: EventsProps) {
    super(scope, id);
    const streamArn = props.table.tableStreamArn;
    if (!streamArn) throw new Error('Events needs the table to have a stream (NEW_IMAGE)');
    this.bus = new events.EventBus(this, 'ChangeEventBus', { description: 'agent-status-reasons: one event per committed change history entry' });
    this.deadLetterQueue = new sqs.Queue(this, 'ChangeEventsDeadLetters', {
      enforceSSL: true,
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself a dead-letter queue: the on-failure destination of the change publisher\'s stream mapping (cdk-nag recognises only queues named as another queue\'s deadLetterQueue). Its messages are alarmed on and kept 14 days.',
    });

    this.publisher = serviceFunction(this, 'PublishChangesFunction', {
      entry: props.entry ?? ENTRIES.publishChanges,
      handler: props.handler ?? 'handler',
      description: 'Agent status reasons, change events: the table stream\'s history heads to the EventBridge bus',
      environment: { TABLE_NAME: props.table.tableName, EVENT_BUS_NAME: this.bus.eventBusName, POWERTOOLS_SERVICE_NAME: SERVICE_NAME },
      memorySize: props.memorySize ?? 512,
      timeout: Duration.seconds(PUBLISHER_TIMEOUT_SECONDS),
      tracing: false,
      // Only a large entry's parts are read (one Query each); the rest of the entry is in the stream record.
      table: { table: props.table, sid: 'HistoryPartsRead', actions: ['dynamodb:Query'] },
    });
    this.bus.grantPutEventsTo(this.publisher);
    // What the event source mapping needs of the stream (the AWSLambdaDynamoDBExecutionRole actions), on this stream only, but ListStreams.
    this.publisher.addToRolePolicy(
      new iam.PolicyStatement({ sid: 'TableStreamRead', actions: ['dynamodb:DescribeStream', 'dynamodb:GetRecords', 'dynamodb:GetShardIterator'], resources: [streamArn] }),
    );
    this.publisher.addToRolePolicy(new iam.PolicyStatement({ sid: 'TableStreamList', actions: ['dynamodb:ListStreams'], resources: ['*'] }));
    Validations.of(this.publisher.role!).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Only dynamodb:ListStreams uses Resource "*": it takes no resource-level permission, and Lambda\'s event source mapping calls it. The stream reads name the table\'s stream ARN, the Query the table, PutEvents the bus.',
    });

    this.mapping = new lambda.EventSourceMapping(this, 'ChangeStreamMapping', {
      target: this.publisher,
      eventSourceArn: streamArn,
      startingPosition: lambda.StartingPosition.TRIM_HORIZON,
      batchSize: STREAM_SETTINGS.batchSize,
      bisectBatchOnError: STREAM_SETTINGS.bisectBatchOnError,
      retryAttempts: STREAM_SETTINGS.retryAttempts,
      maxRecordAge: Duration.seconds(STREAM_SETTINGS.maxRecordAgeSeconds),
      parallelizationFactor: STREAM_SETTINGS.parallelizationFactor,
      reportBatchItemFailures: true,
      onFailure: new SqsDlq(this.deadLetterQueue),
      // Only inserts of history heads: every other write of the table (reasons, #META, leases, parts, purges) is not an event.
      filters: [lambda.FilterCriteria.filter({ eventName: lambda.FilterRule.isEqual('INSERT'), dynamodb: { Keys: { sk: { S: lambda.FilterRule.beginsWith(HEAD_PREFIX) } } } })],
    });
    // The mapping checks its access to the stream when it is created: after the role's policy.
    this.mapping.node.addDependency(this.publisher.role!);
  }
}
